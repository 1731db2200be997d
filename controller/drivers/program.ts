/**
 * Turning a template's `driver` name into a program path. The name comes from user input (Terraform), the directory
 * from the operator, so the name must never reach outside the directory: no separators, no dot names, and no
 * symlink whose target lies outside it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../domain/errors';

const DRIVER_PATH = ['driver'];

/**
 * Checks only the shape of a driver name (no file system access), so the API can reject a bad template before it is
 * stored. Returns a message, or null when the name is acceptable.
 */
export function driverNameProblem(name: string): string | null {
  if (typeof name !== 'string' || name === '') return 'driver name must not be empty';
  if (name === '.' || name === '..') return `driver name ${JSON.stringify(name)} is not a program name`;
  if (/[/\\]/.test(name)) return `driver name ${JSON.stringify(name)} must be a plain program name without path separators`;
  if (name.includes('\0')) return 'driver name must not contain NUL characters';
  return null;
}

function fail(message: string): never {
  throw ValidationError.field(DRIVER_PATH, message);
}

/** True when `candidate` lies strictly inside `dir` (both already resolved). */
export function isInside(dir: string, candidate: string): boolean {
  const rel = path.relative(dir, candidate);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * Resolves `name` to the real path of an executable regular file inside `driverDir` (symlinks allowed as long as
 * they stay inside the directory). Returns the real path, so the file that is run is exactly the one that was
 * checked. Throws ValidationError with path ['driver'].
 */
export function resolveDriverProgram(driverDir: string, name: string): string {
  const shape = driverNameProblem(name);
  if (shape) fail(shape);

  let realDir: string;
  try {
    realDir = fs.realpathSync(driverDir);
  } catch (err) {
    fail(`driver dir ${driverDir} is not accessible: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }

  const candidate = path.join(realDir, name);
  let real: string;
  try {
    real = fs.realpathSync(candidate);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      // Distinguish a dangling symlink from a missing name: the fix differs.
      const isLink = (() => {
        try {
          return fs.lstatSync(candidate).isSymbolicLink();
        } catch {
          return false;
        }
      })();
      if (isLink) fail(`driver ${JSON.stringify(name)} in driver dir ${driverDir} is a symlink to a missing file`);
      fail(`no program named ${JSON.stringify(name)} in driver dir ${driverDir}`);
    }
    if (code === 'ELOOP') fail(`driver ${JSON.stringify(name)} in driver dir ${driverDir} is a symlink loop`);
    fail(`driver ${JSON.stringify(name)} in driver dir ${driverDir} is not accessible: ${code ?? (err as Error).message}`);
  }

  if (!isInside(realDir, real)) {
    fail(`driver ${JSON.stringify(name)} resolves to ${real}, outside the driver dir ${driverDir}`);
  }

  const st = fs.statSync(real);
  if (!st.isFile()) fail(`driver ${JSON.stringify(name)} in driver dir ${driverDir} is not a regular file`);
  try {
    fs.accessSync(real, fs.constants.X_OK);
  } catch {
    fail(`driver ${JSON.stringify(name)} in driver dir ${driverDir} is not executable`);
  }
  // root passes access(X_OK) when any execute bit is set, but a file with none cannot be exec'd even by root.
  if ((st.mode & 0o111) === 0) fail(`driver ${JSON.stringify(name)} in driver dir ${driverDir} is not executable`);
  return real;
}
