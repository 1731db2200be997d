/**
 * A terraform template's `config`: `module` (a directory inside the controller's --modules-dir) and optionally
 * `terraform_bin` (`terraform` or `tofu`, found on the controller's PATH). Both come from Terraform, that is from
 * whoever may apply templates, so neither may name an arbitrary path: a module outside the modules dir or any other
 * program would let a template run code the operator never put there.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ValidationError } from '../../domain/errors';
import { isInside } from '../program';

export const TERRAFORM_BINARIES = ['terraform', 'tofu'] as const;
const KEYS = ['module', 'terraform_bin'] as const;

export interface ModuleConfig {
  /** The module directory's real path. */
  moduleDir: string;
  terraformBin: (typeof TERRAFORM_BINARIES)[number];
}

function fail(key: string, message: string): never {
  throw ValidationError.field(['config', key], message);
}

/**
 * The checks that need nothing but the config: its keys, `terraform_bin`, and the shape of `module`. A config that
 * fails them can never work, whatever the operator does (permanent); the rest depends on the modules dir.
 */
export function checkConfigShape(config: Readonly<Record<string, string>>): { moduleName: string; terraformBin: ModuleConfig['terraformBin'] } {
  for (const key of Object.keys(config)) {
    if (!(KEYS as readonly string[]).includes(key)) {
      fail(key, `unknown setting for the terraform driver; it takes ${KEYS.map((k) => JSON.stringify(k)).join(' and ')} (module variables come from the preset's parameters)`);
    }
  }
  const bin = config['terraform_bin'] ?? 'terraform';
  if (!(TERRAFORM_BINARIES as readonly string[]).includes(bin)) {
    fail('terraform_bin', `must be "terraform" or "tofu" (found on the controller's PATH), got ${JSON.stringify(bin.slice(0, 64))}`);
  }
  const moduleName = config['module'];
  if (moduleName === undefined || moduleName === '') fail('module', 'is required: a directory inside the controller\'s --modules-dir');
  if (moduleName.includes('\0')) fail('module', 'must not contain NUL characters');
  if (path.isAbsolute(moduleName)) fail('module', `must be relative to the controller's --modules-dir, got the absolute path ${JSON.stringify(moduleName)}`);
  return { moduleName, terraformBin: bin as ModuleConfig['terraformBin'] };
}

/** Resolves and checks a template config against `modulesDir`. Throws ValidationError naming the config key. */
export function resolveModuleConfig(modulesDir: string, config: Readonly<Record<string, string>>): ModuleConfig {
  const { moduleName, terraformBin: bin } = checkConfigShape(config);
  let realRoot: string;
  try {
    realRoot = fs.realpathSync(modulesDir);
  } catch (err) {
    fail('module', `the controller's --modules-dir ${modulesDir} is not accessible: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let real: string;
  try {
    real = fs.realpathSync(path.join(realRoot, moduleName));
  } catch {
    fail('module', `no directory ${JSON.stringify(moduleName)} in the controller's --modules-dir ${modulesDir}`);
  }
  if (!isInside(realRoot, real)) fail('module', `${JSON.stringify(moduleName)} resolves outside the controller's --modules-dir ${modulesDir}`);
  if (!fs.statSync(real).isDirectory()) fail('module', `${JSON.stringify(moduleName)} in --modules-dir is not a directory`);
  const files = fs.readdirSync(real).filter((f) => f.endsWith('.tf') || f.endsWith('.tf.json'));
  if (files.length === 0) fail('module', `${JSON.stringify(moduleName)} in --modules-dir holds no .tf or .tf.json files`);
  const backend = declaredBackend(real, files);
  if (backend) {
    fail('module', `${JSON.stringify(moduleName)} declares ${backend} in ${JSON.stringify(files.find((f) => declaredBackend(real, [f])))}; the terraform driver keeps each instance's state in its own local state file, and a shared backend would put every instance in one state`);
  }
  const outside = parentModuleSource(real, files);
  if (outside) {
    fail('module', `${JSON.stringify(moduleName)} uses a module outside its own directory (${outside}); each instance gets a copy of the module directory alone, so keep nested modules inside it`);
  }
  return { moduleDir: real, terraformBin: bin as ModuleConfig['terraformBin'] };
}

/** A `source = "../…"` in the module's own .tf files (nested modules in subdirectories travel with the copy). */
function parentModuleSource(dir: string, files: string[]): string | null {
  for (const f of files.filter((name) => name.endsWith('.tf'))) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, f), 'utf8');
    } catch {
      continue;
    }
    const m = /^\s*source\s*=\s*"(\.\.[/\\][^"]*)"/m.exec(text);
    if (m) return `source = "${m[1]}" in ${JSON.stringify(f)}`;
  }
  return null;
}

/**
 * A `backend "…"` or `cloud` block in the module's own files. Found by a line scan rather than an HCL parse: a false
 * alarm needs a line starting with `backend "` inside a comment or heredoc, which is cheap to avoid.
 */
function declaredBackend(dir: string, files: string[]): string | null {
  for (const f of files) {
    let text: string;
    try {
      text = fs.readFileSync(path.join(dir, f), 'utf8');
    } catch {
      continue;
    }
    if (f.endsWith('.tf.json')) {
      try {
        const doc = JSON.parse(text) as { terraform?: unknown };
        const blocks = Array.isArray(doc.terraform) ? doc.terraform : [doc.terraform];
        for (const b of blocks) {
          if (b && typeof b === 'object' && 'backend' in b) return 'a backend';
          if (b && typeof b === 'object' && 'cloud' in b) return 'a cloud block';
        }
      } catch {
        // terraform itself reports the syntax error with its position.
      }
      continue;
    }
    const m = /^\s*backend\s+"([^"]*)"/m.exec(text);
    if (m) return `a backend "${m[1]}"`;
    if (/^\s*cloud\s*\{/m.test(text)) return 'a cloud block';
  }
  return null;
}
