'use strict';
/**
 * Shared plumbing for the example drivers: reading and validating the request, answering, exit codes, the state
 * root, a per-instance lock and the test-only failure switches. Plain CommonJS, no dependencies, so the drivers
 * run straight from the checkout. It lives in lib/ (a directory, not an executable file), so the controller can
 * never run it as a driver.
 *
 * Contract recap (examples/drivers/README.md has the full text): argv[2] is the op, stdin is one JSON request, stdout
 * gets exactly one JSON line {"attributes": {...}}, stderr gets human log lines, exit 0 = ok, 78 = permanent
 * (EX_CONFIG), anything else = retryable.
 */
const fs = require('node:fs');
const path = require('node:path');

const EX_CONFIG = 78;
const OPS = ['create', 'delete', 'start', 'stop'];
const MAX_REQUEST_BYTES = 8 * 1024 * 1024;

/** A failure with the exit code that tells the controller whether retrying can help. */
class DriverError extends Error {
  constructor(message, exitCode) {
    super(message);
    this.exitCode = exitCode;
  }
}
const permanent = (message) => new DriverError(message, EX_CONFIG);
const retryable = (message) => new DriverError(message, 1);

function makeLogger(driverName) {
  return (...parts) => process.stderr.write(`${driverName}: ${parts.join(' ')}\n`);
}

/** Instance names become file names, so they must be one safe path segment. */
function isSafeName(name) {
  return typeof name === 'string' && /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/.test(name) && !name.includes('..');
}

function isStringMap(v) {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((x) => typeof x === 'string');
}

/** Returns the list of problems with a parsed request (empty when it is fine). */
function requestProblems(req, op) {
  const problems = [];
  if (typeof req !== 'object' || req === null || Array.isArray(req)) return ['request is not a JSON object'];
  if (req.op !== op) problems.push(`request op ${JSON.stringify(req.op)} does not match argument ${JSON.stringify(op)}`);
  const inst = req.instance;
  if (typeof inst !== 'object' || inst === null) problems.push('instance is missing');
  else {
    if (typeof inst.id !== 'string' || inst.id === '') problems.push('instance.id must be a non-empty string');
    if (!isSafeName(inst.name)) {
      problems.push(`instance.name ${JSON.stringify(inst.name)} must be 1-128 characters of letters, digits, ".", "_", "-", starting with a letter or digit`);
    }
  }
  const t = req.template;
  if (typeof t !== 'object' || t === null || typeof t.name !== 'string' || !Number.isInteger(t.version)) {
    problems.push('template must be {"name": string, "version": integer}');
  }
  const p = req.preset;
  if (typeof p !== 'object' || p === null || typeof p.template !== 'string' || typeof p.name !== 'string') {
    problems.push('preset must be {"template": string, "name": string}');
  }
  if (!isStringMap(req.parameters)) problems.push('parameters must be an object of strings');
  if (!isStringMap(req.config)) problems.push('config must be an object of strings');
  if (!Number.isInteger(req.attempt) || req.attempt < 0) problems.push('attempt must be a non-negative integer');
  return problems;
}

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let size = 0;
    process.stdin.on('data', (c) => {
      size += c.length;
      if (size > MAX_REQUEST_BYTES) {
        reject(permanent(`request on stdin is larger than ${MAX_REQUEST_BYTES} bytes`));
        process.stdin.destroy();
        return;
      }
      chunks.push(c);
    });
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', (err) => reject(retryable(`cannot read stdin: ${err.message}`)));
  });
}

/**
 * Where instances live. Relative paths never resolve against the process cwd, because the controller runs drivers
 * with cwd = the driver dir, and instance state must not land among the programs. Rules:
 *   - PREWARM_STATE_DIR, if relative, is resolved against the parent of the driver dir;
 *   - config.root, if relative, is resolved against PREWARM_STATE_DIR when set, else the parent of the driver dir;
 *   - without config.root the root is PREWARM_STATE_DIR, else <parent of driver dir>/.prewarm/instances.
 */
function stateRoot(config) {
  const base = path.dirname(process.cwd());
  const envDir = process.env.PREWARM_STATE_DIR;
  const stateDir = envDir ? path.resolve(base, envDir) : null;
  if (config.root) return path.resolve(stateDir || base, config.root);
  return stateDir || path.join(base, '.prewarm', 'instances');
}

/** Same resolution as config.root, for other path settings (for example localdir's `skeleton`). */
function resolveConfigPath(p) {
  const base = path.dirname(process.cwd());
  const envDir = process.env.PREWARM_STATE_DIR;
  return path.resolve(envDir ? path.resolve(base, envDir) : base, p);
}

/**
 * Test switches: config.fail = "always" exits 1 (retryable: drives backoff and the failure limit), "config" exits 78
 * (permanent: drives validation_failed). They apply to the ops listed in config.fail_ops (default "create"), so a
 * failing pool can still be cleaned up.
 */
function checkFailSwitch(config, op) {
  const ops = (config.fail_ops || 'create').split(',').map((s) => s.trim());
  if (!ops.includes(op)) return;
  const mode = config.fail || 'never';
  if (mode === 'never') return;
  if (mode === 'always') throw retryable(`${op} failed on purpose (config.fail = "always")`);
  if (mode === 'config') throw permanent(`${op} rejected on purpose (config.fail = "config")`);
  throw permanent(`config.fail must be "never", "always" or "config", not ${JSON.stringify(mode)}`);
}

function pidAlive(pid) {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
  } catch (err) {
    return err.code === 'EPERM';
  }
  // A zombie answers kill(0) but is dead; on Linux look at its state.
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch (err) {
    return err.code !== 'ENOENT';
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Creates the lock file with our pid already in it (write a private file, then link it into place), so nobody ever
 * reads a lock without its holder.
 */
function tryAcquire(lockPath) {
  const mine = `${lockPath}.${process.pid}`;
  fs.writeFileSync(mine, String(process.pid));
  try {
    fs.linkSync(mine, lockPath);
    return true;
  } catch (err) {
    if (err.code === 'EEXIST') return false;
    throw err;
  } finally {
    fs.rmSync(mine, { force: true });
  }
}

/** Removes the lock if its holder is dead. The inode check keeps us from removing a lock someone took meanwhile. */
function removeIfStale(lockPath) {
  let fd;
  try {
    fd = fs.openSync(lockPath, 'r');
  } catch {
    return; // released
  }
  try {
    const seen = fs.fstatSync(fd);
    const holder = Number(fs.readFileSync(fd, 'utf8'));
    if (pidAlive(holder)) return;
    const now = fs.statSync(lockPath, { throwIfNoEntry: false });
    if (now && now.ino === seen.ino) fs.rmSync(lockPath, { force: true });
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Serialises operations on one instance. The controller runs one job per instance, but after a controller crash
 * the old driver (in its own process group) may still be running when the job is resumed. A lock held by a dead
 * process is taken over. (Two processes taking over the same stale lock at the same microsecond could still both
 * win; that needs a crash and a double resume at once, which is acceptable for an example.)
 */
async function withLock(lockPath, fn) {
  while (!tryAcquire(lockPath)) {
    removeIfStale(lockPath);
    await sleep(50);
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lockPath, { force: true });
  }
}

/** Writes a file so readers see either the old or the new content, never a torn one. */
function writeFileAtomic(file, content) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    if (err instanceof SyntaxError) return undefined; // exists but garbled
    throw err;
  }
}

/**
 * Runs a driver: reads and validates the request, calls handlers[op](req, log), prints the answer, sets the exit code.
 * A handler returns the attributes object (string values).
 */
async function runDriver(driverName, handlers) {
  const log = makeLogger(driverName);
  const op = process.argv[2];
  try {
    if (process.argv.length !== 3 || !OPS.includes(op)) {
      throw permanent(`usage: ${driverName} create|delete|start|stop (request JSON on stdin); got ${JSON.stringify(process.argv.slice(2))}`);
    }
    const text = await readStdin();
    let req;
    try {
      req = JSON.parse(text);
    } catch (err) {
      throw permanent(`request on stdin is not JSON: ${err.message}`);
    }
    const problems = requestProblems(req, op);
    if (problems.length) throw permanent(`invalid request: ${problems.join('; ')}`);
    checkFailSwitch(req.config, op);
    const attributes = await handlers[op](req, log);
    process.stdout.write(`${JSON.stringify({ attributes })}\n`);
    process.exitCode = 0;
  } catch (err) {
    if (err instanceof DriverError) {
      log(err.message);
      process.exitCode = err.exitCode;
    } else {
      log(`unexpected error: ${err && err.stack ? err.stack : String(err)}`);
      process.exitCode = 1;
    }
  }
}

module.exports = {
  EX_CONFIG,
  DriverError,
  permanent,
  retryable,
  isSafeName,
  requestProblems,
  stateRoot,
  resolveConfigPath,
  checkFailSwitch,
  pidAlive,
  sleep,
  withLock,
  writeFileAtomic,
  readJson,
  runDriver,
};
