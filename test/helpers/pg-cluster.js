/**
 * A throwaway PostgreSQL server for the tests: initdb into a fresh directory under os.tmpdir(), start it on a free
 * loopback port, stop it and remove the directory. Plain CommonJS so jest's globalSetup (which runs outside the test
 * transform) and test/helpers/postgres.ts share this one implementation; postgres.ts is the typed front for tests.
 *
 * The server:
 *   - uses the newest server binaries found: $PREWARM_TEST_PG_BINDIR, else /usr/lib/postgresql/<newest>/bin (Debian),
 *     else `pg_config --bindir`;
 *   - runs as the `postgres` OS user when this process is root (initdb and the server refuse to run as root);
 *   - listens on 127.0.0.1 only, on a port free when it starts, with its Unix socket in the temporary directory;
 *   - asks for a password (scram-sha-256) over TCP, so wrong credentials can be tested; the superuser is `postgres`
 *     with a random password; local (Unix socket) connections are trusted;
 *   - is made for speed, not durability: initdb --no-sync, fsync, synchronous_commit and full_page_writes off;
 *   - uses the C locale and UTF8, so text sorts by code point on every machine;
 *   - allows 200 connections.
 *
 * Nothing is left running by a run that crashes: a detached watchdog shell waits for the process that started the
 * server to end and then stops the server and removes the directory (this covers SIGKILL and Ctrl-C, which skip
 * 'exit' handlers); an 'exit' handler does the same at once on an ordinary exit; stop() does it and ends both.
 */
'use strict';

const { execFile, execFileSync, spawn, spawnSync } = require('node:child_process');
const crypto = require('node:crypto');
const fs = require('node:fs');
const net = require('node:net');
const os = require('node:os');
const path = require('node:path');

/** The variable jest's globalSetup sets to the global cluster's superuser URL; test workers inherit it. */
const ADMIN_URL_ENV = 'PREWARM_TEST_PG_ADMIN_URL';
/** Optional: the directory of the server binaries to use, instead of the newest installed. */
const BINDIR_ENV = 'PREWARM_TEST_PG_BINDIR';
const SERVER_USER = 'postgres';
const SUPERUSER = 'postgres';
const SERVER_BINARIES = ['initdb', 'pg_ctl', 'postgres'];

function isExecutable(file) {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

function hasServerBinaries(dir) {
  return SERVER_BINARIES.every((name) => isExecutable(path.join(dir, name)));
}

let binDirCache;
/** The directory holding initdb, pg_ctl and postgres, or undefined when PostgreSQL's server is not installed. */
function findBinDir() {
  if (binDirCache !== undefined) return binDirCache || undefined;
  binDirCache = '';
  const fromEnv = process.env[BINDIR_ENV];
  if (fromEnv) {
    if (hasServerBinaries(fromEnv)) binDirCache = fromEnv;
    return binDirCache || undefined;
  }
  const debianRoot = '/usr/lib/postgresql';
  let versions = [];
  try {
    versions = fs.readdirSync(debianRoot).filter((v) => /^\d+(\.\d+)?$/.test(v));
  } catch {
    // not Debian's layout
  }
  versions.sort((a, b) => Number(b) - Number(a));
  for (const version of versions) {
    const dir = path.join(debianRoot, version, 'bin');
    if (hasServerBinaries(dir)) return (binDirCache = dir);
  }
  try {
    const dir = execFileSync('pg_config', ['--bindir'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    if (dir && hasServerBinaries(dir)) binDirCache = dir;
  } catch {
    // no pg_config
  }
  return binDirCache || undefined;
}

function isRoot() {
  return typeof process.getuid === 'function' && process.getuid() === 0;
}

let serverUserCache;
/** uid and gid of the `postgres` OS user, or undefined when there is none. */
function serverUserIds() {
  if (serverUserCache !== undefined) return serverUserCache || undefined;
  serverUserCache = '';
  const uid = spawnSync('id', ['-u', SERVER_USER], { encoding: 'utf8' });
  const gid = spawnSync('id', ['-g', SERVER_USER], { encoding: 'utf8' });
  if (uid.status === 0 && gid.status === 0) {
    serverUserCache = { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
  }
  return serverUserCache || undefined;
}

/** Why no cluster can be started here, or undefined when one can. */
function pgUnavailableReason() {
  if (!findBinDir()) {
    return (
      `PostgreSQL's server binaries (${SERVER_BINARIES.join(', ')}) were not found in ` +
      `${process.env[BINDIR_ENV] ? `$${BINDIR_ENV}` : '/usr/lib/postgresql/*/bin or `pg_config --bindir`'}; ` +
      "on Debian: apt-get install postgresql"
    );
  }
  if (isRoot() && !serverUserIds()) {
    return `running as root and there is no '${SERVER_USER}' OS user to run PostgreSQL's server as (initdb refuses root)`;
  }
  return undefined;
}

/** [file, args] running `bin/name args` as the server's OS user. */
function asServerUser(binDir, name, args) {
  const file = path.join(binDir, name);
  return isRoot() ? ['runuser', ['-u', SERVER_USER, '--', file, ...args]] : [file, args];
}

function run(binDir, name, args, cwd) {
  const [file, argv] = asServerUser(binDir, name, args);
  return new Promise((resolve, reject) => {
    execFile(file, argv, { cwd, encoding: 'utf8', timeout: 120_000 }, (error, stdout, stderr) => {
      if (error) {
        error.message = `${name} ${args.join(' ')} failed: ${error.message.trim()}\n${stdout}${stderr}`.trim();
        reject(error);
      } else {
        resolve(stdout);
      }
    });
  });
}

function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function logSize(logFile) {
  try {
    return fs.statSync(logFile).size;
  } catch {
    return 0;
  }
}

/** The server log's last lines, from byte `from` on. */
function logTail(logFile, lines = 30, from = 0) {
  try {
    const text = fs.readFileSync(logFile).subarray(from).toString('utf8').trimEnd();
    return text ? text.split('\n').slice(-lines).join('\n') : '(the server log is empty)';
  } catch {
    return '(no server log)';
  }
}

function confString(value) {
  return `'${String(value).replace(/\\/g, '\\\\').replace(/'/g, "''")}'`;
}

/** Stops the server at dataDir at once, synchronously, ignoring every failure (it may not be running). */
function stopNow(binDir, dataDir, cwd) {
  if (!fs.existsSync(path.join(dataDir, 'postmaster.pid'))) return;
  const [file, argv] = asServerUser(binDir, 'pg_ctl', ['stop', '-m', 'immediate', '-w', '-D', dataDir]);
  spawnSync(file, argv, { cwd, stdio: 'ignore', timeout: 30_000 });
}

/**
 * A detached shell that outlives this process: once this process is gone, it stops the server and removes the
 * directory. stop() kills it (its whole process group, so its `sleep` too).
 */
function startWatchdog(binDir, dataDir, tempDir) {
  const script =
    'while kill -0 "$1" 2>/dev/null; do sleep 1; done; ' +
    'if [ -f "$3/postmaster.pid" ]; then ' +
    'if [ -n "$5" ]; then runuser -u "$5" -- "$2" stop -m immediate -D "$3"; else "$2" stop -m immediate -D "$3"; fi; ' +
    'fi >/dev/null 2>&1; rm -rf "$4"';
  const child = spawn(
    '/bin/sh',
    ['-c', script, 'prewarm-pg-watchdog', String(process.pid), path.join(binDir, 'pg_ctl'), dataDir, tempDir, isRoot() ? SERVER_USER : ''],
    { cwd: tempDir, detached: true, stdio: 'ignore' },
  );
  child.on('error', () => {});
  child.unref();
  return child;
}

async function waitForConnection(adminUrl, logFile, timeoutMs = 30_000) {
  const { Client } = require('pg');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Client({ connectionString: adminUrl, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      await client.query('SELECT 1');
      return;
    } catch (error) {
      // Credentials are wrong for good; anything else (starting up, not listening yet) may pass.
      if (error && (error.code === '28P01' || error.code === '28000') || Date.now() > deadline) {
        throw new Error(`PostgreSQL test cluster does not accept connections: ${error.message}\n${logTail(logFile)}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      await client.end().catch(() => {});
    }
  }
}

/**
 * Starts a new cluster and resolves once it accepts password connections over TCP.
 * Resolves to { adminUrl, host, port, user, password, dataDir, stop() }; stop() is idempotent.
 */
async function startCluster() {
  const reason = pgUnavailableReason();
  if (reason) throw new Error(`cannot start a PostgreSQL test cluster: ${reason}`);
  const binDir = findBinDir();
  const ids = isRoot() ? serverUserIds() : undefined;

  const tempDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-pg-'));
  const dataDir = path.join(tempDir, 'data');
  const logFile = path.join(tempDir, 'server.log');
  const pwFile = path.join(tempDir, 'pwfile');
  const password = crypto.randomBytes(18).toString('base64url');
  if (ids) fs.chownSync(tempDir, ids.uid, ids.gid);
  fs.chmodSync(tempDir, 0o700);

  const watchdog = startWatchdog(binDir, dataDir, tempDir);
  const killWatchdog = () => {
    try {
      process.kill(-watchdog.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  };
  let stopped = false;
  const onExit = () => {
    if (stopped) return;
    stopped = true;
    stopNow(binDir, dataDir, tempDir);
    fs.rmSync(tempDir, { recursive: true, force: true });
    killWatchdog();
  };
  process.on('exit', onExit);
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    process.removeListener('exit', onExit);
    try {
      if (fs.existsSync(path.join(dataDir, 'postmaster.pid'))) {
        await run(binDir, 'pg_ctl', ['stop', '-m', 'immediate', '-w', '-D', dataDir], tempDir).catch(() => {});
      }
      fs.rmSync(tempDir, { recursive: true, force: true });
    } finally {
      killWatchdog();
    }
  };

  try {
    fs.writeFileSync(pwFile, `${password}\n`, { mode: 0o600 });
    if (ids) fs.chownSync(pwFile, ids.uid, ids.gid);
    await run(
      binDir,
      'initdb',
      [
        '-D', dataDir,
        `--username=${SUPERUSER}`,
        `--pwfile=${pwFile}`,
        '--auth-host=scram-sha-256',
        '--auth-local=trust',
        '--encoding=UTF8',
        '--locale=C',
        '--no-sync',
        '--no-instructions',
      ],
      tempDir,
    );
    fs.rmSync(pwFile, { force: true });
    fs.chmodSync(dataDir, 0o700);
    const settings = {
      listen_addresses: '127.0.0.1',
      unix_socket_directories: tempDir,
      fsync: 'off',
      synchronous_commit: 'off',
      full_page_writes: 'off',
      max_connections: '200',
    };
    fs.appendFileSync(
      path.join(dataDir, 'postgresql.conf'),
      `\n# prewarm test cluster\n${Object.entries(settings).map(([k, v]) => `${k} = ${confString(v)}`).join('\n')}\n`,
    );

    // The port is free when picked, but another process may take it before the server binds it: pick again then.
    let port;
    for (let attempt = 1; ; attempt++) {
      port = await freePort();
      const logStart = logSize(logFile);
      try {
        await run(binDir, 'pg_ctl', ['start', '-w', '-t', '60', '-D', dataDir, '-l', logFile, '-o', `-p ${port}`], tempDir);
        break;
      } catch (error) {
        const log = logTail(logFile, 30, logStart);
        if (attempt < 5 && /could not bind|Address already in use|could not create any TCP\/IP sockets/i.test(log)) continue;
        throw new Error(`${error.message}\nserver log:\n${log}`);
      }
    }

    const host = '127.0.0.1';
    const adminUrl = `postgres://${SUPERUSER}:${encodeURIComponent(password)}@${host}:${port}/postgres`;
    await waitForConnection(adminUrl, logFile);
    return { adminUrl, host, port, user: SUPERUSER, password, dataDir, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}

module.exports = { ADMIN_URL_ENV, BINDIR_ENV, findBinDir, pgUnavailableReason, startCluster };
