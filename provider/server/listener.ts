/**
 * The plugin's listening socket, opened with node:net before anything heavy is loaded so the handshake line can go
 * out as early as possible. The kernel accepts Terraform's connection at once; accepted sockets are held (paused,
 * nothing read) until the gRPC layer is loaded and attached, then handed over in order.
 *
 * Like go-plugin: a unix socket in a fresh private directory under PLUGIN_UNIX_SOCKET_DIR or the temp dir (the
 * directory is removed when the plugin stops), except on Windows, where it listens on TCP 127.0.0.1 with a port in
 * PLUGIN_MIN_PORT..PLUGIN_MAX_PORT (go-plugin's defaults 10000..25000).
 */
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ListenAddress } from './handshake';

export interface PluginListener {
  address: ListenAddress;
  server: net.Server;
  /** From now on every accepted connection (held ones first) goes to `accept`. */
  attach(accept: (socket: net.Socket) => void): void;
  /** Stops accepting, drops held connections and removes the socket directory. Synchronous; idempotent. */
  close(): void;
}

/** sockaddr_un.sun_path is 108 bytes on Linux, 104 on macOS (both including the terminating NUL). */
const MAX_SOCKET_PATH = 103;

/** `onError`: errors of the listening socket after it is open (accept failures such as EMFILE). */
export async function openListener(
  env: NodeJS.ProcessEnv,
  onError: (err: Error) => void,
  platform: NodeJS.Platform = process.platform,
): Promise<PluginListener> {
  const listener = platform === 'win32' ? await openTcp(env) : await openUnix(env);
  listener.server.on('error', onError);
  return listener;
}

function holdingServer(): { server: net.Server; attach(accept: (socket: net.Socket) => void): void; dropHeld(): void } {
  const held: net.Socket[] = [];
  let consumer: ((socket: net.Socket) => void) | undefined;
  const server = net.createServer({ pauseOnConnect: true }, (socket) => {
    // A reset before the gRPC server owns the socket must not become an uncaught 'error'.
    socket.on('error', () => {});
    if (consumer !== undefined) {
      consumer(socket);
      return;
    }
    held.push(socket);
    socket.once('close', () => {
      const at = held.indexOf(socket);
      if (at >= 0) held.splice(at, 1);
    });
  });
  return {
    server,
    attach(accept) {
      consumer = accept;
      for (const socket of held.splice(0)) if (!socket.destroyed) accept(socket);
    },
    dropHeld() {
      for (const socket of held.splice(0)) socket.destroy();
    },
  };
}

async function openUnix(env: NodeJS.ProcessEnv): Promise<PluginListener> {
  const parent = env.PLUGIN_UNIX_SOCKET_DIR || os.tmpdir();
  let dir = fs.mkdtempSync(path.join(parent, 'plugin'));
  let socketPath = path.join(dir, 'p.sock');
  if (Buffer.byteLength(socketPath) > MAX_SOCKET_PATH && parent !== '/tmp') {
    // A very long TMPDIR: fall back to /tmp rather than fail to start.
    fs.rmSync(dir, { recursive: true, force: true });
    dir = fs.mkdtempSync('/tmp/plugin');
    socketPath = path.join(dir, 'p.sock');
  }
  const holder = holdingServer();
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    holder.dropHeld();
    holder.server.close();
    fs.rmSync(dir, { recursive: true, force: true });
  };
  try {
    await listenOn(holder.server, { path: socketPath });
  } catch (err) {
    close();
    throw err;
  }
  return { address: { network: 'unix', address: socketPath }, server: holder.server, attach: holder.attach, close };
}

async function openTcp(env: NodeJS.ProcessEnv): Promise<PluginListener> {
  const min = portFromEnv(env.PLUGIN_MIN_PORT, 10000);
  const max = portFromEnv(env.PLUGIN_MAX_PORT, 25000);
  if (min > max) throw new Error(`PLUGIN_MIN_PORT (${min}) is above PLUGIN_MAX_PORT (${max})`);
  let lastError: unknown;
  for (let port = min; port <= max; port++) {
    const holder = holdingServer();
    try {
      await listenOn(holder.server, { host: '127.0.0.1', port, exclusive: true });
    } catch (err) {
      lastError = err;
      continue;
    }
    let closed = false;
    return {
      address: { network: 'tcp', address: `127.0.0.1:${port}` },
      server: holder.server,
      attach: holder.attach,
      close() {
        if (closed) return;
        closed = true;
        holder.dropHeld();
        holder.server.close();
      },
    };
  }
  throw new Error(`no free port in ${min}..${max}: ${(lastError as Error | undefined)?.message ?? 'empty range'}`);
}

function portFromEnv(text: string | undefined, fallback: number): number {
  if (text === undefined || text.trim() === '') return fallback;
  const n = Number(text);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`not a port number: ${JSON.stringify(text)}`);
  return n;
}

function listenOn(server: net.Server, options: net.ListenOptions): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    server.listen(options, () => {
      server.removeListener('error', onError);
      resolve();
    });
  });
}
