/**
 * The controller's local admin channel: a unix domain socket next to the database, which only the user owning
 * the database can reach. `prewarm token rotate` uses it to have a running controller replace its API token.
 *
 * Access control is the file system's: the socket lives in `<database>.admin/`, a directory of mode 0700 owned
 * by the controller's user, and the socket itself is mode 0600. Connecting to a unix socket needs write
 * permission on it and search permission on every directory above it, so no other (non-root) user can connect.
 * The client checks the same ownership and modes before it connects, so it never talks to a socket someone
 * else could have put there.
 *
 * The protocol is one JSON line each way: `{"op":"rotate-token"}` → `{"ok":true,"token":"pwt_…"}` or
 * `{"ok":false,"error":"…"}`.
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import type { Logger } from '../log';
import { GENERATED_TOKEN } from './token';

/** Longest unix socket path the kernel accepts (sun_path is 108 bytes on Linux, 104 on macOS, with the NUL). */
const MAX_SOCKET_PATH_BYTES = process.platform === 'linux' ? 107 : 103;
/** Largest request line the server reads; the only request is a few bytes. */
const MAX_REQUEST_BYTES = 4096;
/** How long either side waits for the other before giving up on a connection. */
const IO_TIMEOUT_MS = 30_000;

export interface AdminSocketPaths {
  /** `<database>.admin`, mode 0700. */
  dir: string;
  /** `<database>.admin/admin.sock`, mode 0600. */
  socket: string;
}

/** Where the admin socket of the controller using `databaseFile` (an absolute path) lives. */
export function adminSocketPaths(databaseFile: string): AdminSocketPaths {
  const dir = `${path.resolve(databaseFile)}.admin`;
  return { dir, socket: path.join(dir, 'admin.sock') };
}

const octal = (mode: number) => (mode & 0o777).toString(8).padStart(4, '0');
const currentUid = (): number | undefined => process.getuid?.();

/** Why `dir` is not a private directory of this user, or undefined when it is. */
export function privateDirProblem(dir: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(dir);
  } catch (err) {
    return `${dir} cannot be read: ${(err as Error).message}`;
  }
  if (st.isSymbolicLink()) return `${dir} is a symbolic link; it must be a directory`;
  if (!st.isDirectory()) return `${dir} is not a directory`;
  const uid = currentUid();
  if (uid !== undefined && st.uid !== uid) return `${dir} is owned by uid ${st.uid}, not by this user (uid ${uid})`;
  if ((st.mode & 0o077) !== 0) return `${dir} has mode ${octal(st.mode)}; it must be 0700 (only its owner may enter it)`;
  return undefined;
}

/** Why `socket` is not this user's private socket, or undefined when it is. */
export function privateSocketProblem(socket: string): string | undefined {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(socket);
  } catch (err) {
    return `${socket} cannot be read: ${(err as Error).message}`;
  }
  if (!st.isSocket()) return `${socket} is not a socket`;
  const uid = currentUid();
  if (uid !== undefined && st.uid !== uid) return `${socket} is owned by uid ${st.uid}, not by this user (uid ${uid})`;
  if ((st.mode & 0o077) !== 0) return `${socket} has mode ${octal(st.mode)}; it must be 0600`;
  return undefined;
}

function exists(p: string): boolean {
  try {
    fs.lstatSync(p);
    return true;
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Server (the controller)

export interface AdminHandlers {
  /** Stores a new token's hash, switches the API's verifier, and returns the token (shown once, by the client). */
  rotateToken(): Promise<string>;
}

export interface AdminSocket {
  path: string;
  /** Stops listening and removes the socket (and its directory when empty). */
  close(): Promise<void>;
}

/**
 * Listens on the admin socket of `databaseFile`. Call it only while holding the database's exclusive lock: a
 * socket already there then belongs to a controller that is gone (killed without a clean shutdown), and is
 * replaced. Throws with a message naming the path when the directory is not this user's, or the path is taken
 * by something that is not a socket.
 */
export async function startAdminSocket(databaseFile: string, handlers: AdminHandlers, log: Logger): Promise<AdminSocket> {
  const { dir, socket } = adminSocketPaths(databaseFile);
  if (Buffer.byteLength(socket) > MAX_SOCKET_PATH_BYTES) {
    throw new Error(`the admin socket path ${socket} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a unix socket path may have`);
  }
  try {
    fs.mkdirSync(dir, { mode: 0o700 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create the admin socket directory ${dir}: ${(err as Error).message}`);
  }
  const st = fs.lstatSync(dir);
  const uid = currentUid();
  if (st.isSymbolicLink() || !st.isDirectory()) throw new Error(`${dir} must be a directory for the admin socket; remove it`);
  if (uid !== undefined && st.uid !== uid) {
    throw new Error(`the admin socket directory ${dir} is owned by uid ${st.uid}, not by this user (uid ${uid}); remove it`);
  }
  if ((st.mode & 0o077) !== 0) {
    // Ours, but others could enter it: make it private before anything is put in it. Whatever another user
    // may have left inside while it was open is dealt with below (the socket path is replaced).
    fs.chmodSync(dir, 0o700);
    log.warn('the admin socket directory was accessible to other users; made it private (0700)', { dir, was: octal(st.mode) });
  }
  if (exists(socket)) {
    if (!fs.lstatSync(socket).isSocket()) throw new Error(`${socket} exists and is not a socket; remove it`);
    // We hold the database lock, so no controller of this database is listening on it.
    fs.unlinkSync(socket);
    log.info('replaced a stale admin socket left by a controller that did not shut down cleanly', { socket });
  }

  const connections = new Set<net.Socket>();
  const server = net.createServer((conn) => {
    connections.add(conn);
    conn.on('close', () => connections.delete(conn));
    serveConnection(conn, handlers, log);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err) => reject(new Error(`cannot listen on the admin socket ${socket}: ${err.message}`)));
    server.listen(socket, () => resolve());
  });
  // The directory is already private; the socket mode is the second lock on the same door.
  fs.chmodSync(socket, 0o600);

  let closing: Promise<void> | undefined;
  return {
    path: socket,
    close() {
      closing ??= new Promise<void>((resolve) => {
        for (const c of connections) c.destroy();
        server.close(() => {
          // A throw here would be uncaught in the middle of shutdown: a socket or directory that cannot be
          // removed is left for the next start, which replaces a stale socket anyway.
          try {
            fs.rmSync(socket, { force: true });
            fs.rmdirSync(dir);
          } catch {
            // not removable, not empty, or already gone: leave it
          }
          resolve();
        });
      });
      return closing;
    },
  };
}

function serveConnection(conn: net.Socket, handlers: AdminHandlers, log: Logger): void {
  conn.setTimeout(IO_TIMEOUT_MS, () => conn.destroy());
  conn.on('error', () => undefined);
  let buffered = '';
  let handled = false;
  conn.on('data', (chunk) => {
    if (handled) return;
    buffered += chunk.toString('utf8');
    const nl = buffered.indexOf('\n');
    if (nl < 0) {
      if (buffered.length > MAX_REQUEST_BYTES) {
        handled = true;
        conn.end(`${JSON.stringify({ ok: false, error: 'request too long' })}\n`);
      }
      return;
    }
    handled = true;
    void answer(buffered.slice(0, nl), handlers, log).then((reply) => conn.end(`${JSON.stringify(reply)}\n`));
  });
}

type Reply = { ok: true; token: string } | { ok: false; error: string };

async function answer(line: string, handlers: AdminHandlers, log: Logger): Promise<Reply> {
  let op: unknown;
  try {
    op = (JSON.parse(line) as { op?: unknown }).op;
  } catch {
    return { ok: false, error: 'malformed request: expected one JSON line' };
  }
  if (op !== 'rotate-token') return { ok: false, error: `unknown operation ${JSON.stringify(op)}` };
  try {
    return { ok: true, token: await handlers.rotateToken() };
  } catch (err) {
    log.warn('admin request failed', { op, error: err });
    return { ok: false, error: (err as Error).message };
  }
}

// ---------------------------------------------------------------------------------------------------------------
// Client (`prewarm token rotate`)

export type RotationRequest =
  /** The running controller rotated its token. */
  | { kind: 'rotated'; token: string; socket: string }
  /** No admin socket: no controller is running on this database (or one too old to have the socket). */
  | { kind: 'no-socket'; socket: string }
  /** A socket file nobody listens on: left behind by a controller that was killed. */
  | { kind: 'stale'; socket: string };

/**
 * Asks the controller of `databaseFile` to rotate its token. Refuses (throws, naming the path and the fix) to
 * talk to a socket or directory that is not this user's private one.
 */
export async function requestTokenRotation(databaseFile: string): Promise<RotationRequest> {
  const { dir, socket } = adminSocketPaths(databaseFile);
  if (!exists(socket)) return { kind: 'no-socket', socket };
  const problem = privateDirProblem(dir) ?? privateSocketProblem(socket);
  if (problem) {
    throw new Error(
      `refusing to use the admin socket: ${problem}. Only the owner of the database may reach the controller ` +
        `through it. Fix the ownership and mode (chmod 700 ${dir}; chmod 600 ${socket}), or restart the controller, ` +
        `which re-creates both`,
    );
  }
  return new Promise<RotationRequest>((resolve, reject) => {
    const conn = net.createConnection(socket);
    let received = '';
    let settled = false;
    const done = (fn: () => void) => {
      if (settled) return;
      settled = true;
      conn.destroy();
      fn();
    };
    conn.setTimeout(IO_TIMEOUT_MS, () =>
      done(() => reject(new Error(`the controller did not answer on its admin socket ${socket} within ${IO_TIMEOUT_MS / 1000} s`))),
    );
    conn.on('connect', () => conn.write(`${JSON.stringify({ op: 'rotate-token' })}\n`));
    conn.on('data', (chunk) => {
      received += chunk.toString('utf8');
      const nl = received.indexOf('\n');
      if (nl < 0) return;
      done(() => {
        let reply: Reply;
        try {
          reply = JSON.parse(received.slice(0, nl)) as Reply;
        } catch {
          reject(new Error(`the controller's admin socket ${socket} sent a malformed answer`));
          return;
        }
        // The answer ends up in a shell's eval: only a token of the generated shape is accepted.
        if (reply.ok && typeof reply.token === 'string' && GENERATED_TOKEN.test(reply.token)) resolve({ kind: 'rotated', token: reply.token, socket });
        else reject(new Error(`the running controller refused to rotate the token: ${reply.ok ? 'no token in its answer' : reply.error}`));
      });
    });
    conn.on('end', () => done(() => reject(new Error(`the controller closed its admin socket ${socket} without answering`))));
    conn.on('error', (err: NodeJS.ErrnoException) =>
      done(() => {
        if (err.code === 'ECONNREFUSED') resolve({ kind: 'stale', socket });
        else if (err.code === 'ENOENT') resolve({ kind: 'no-socket', socket });
        else reject(new Error(`cannot connect to the admin socket ${socket}: ${err.message}`));
      }),
    );
  });
}

/**
 * Removes a stale admin socket (and its directory when empty). Call it only while holding the database's
 * exclusive lock, which proves no controller is listening on it.
 */
export function removeStaleAdminSocket(databaseFile: string): void {
  const { dir, socket } = adminSocketPaths(databaseFile);
  fs.rmSync(socket, { force: true });
  try {
    fs.rmdirSync(dir);
  } catch {
    // not empty, or already gone
  }
}
