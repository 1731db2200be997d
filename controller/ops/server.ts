import * as http from 'node:http';
import { isLoopbackHost, parseHostPort } from '../api/address';
import { metricsContentType } from './metrics';

export interface ReadinessCheck {
  name: string;
  check(): Promise<boolean>;
}

export interface OpsServerOptions {
  listen: string;
  readiness: ReadinessCheck[];
  /** Prometheus text; called per scrape. */
  metrics(): Promise<string>;
  /** Content-Type of that text; default the controller registry's (prom-client's text format 0.0.4). */
  metricsContentType?: string;
}

export interface OpsServer {
  port: number;
  close(): Promise<void>;
}

/** An ops server that holds its address but does not serve yet: /readyz and /metrics answer 503 until `serve`. */
export interface BoundOpsServer extends OpsServer {
  serve(handlers: Omit<OpsServerOptions, 'listen'>): void;
}

/** /healthz (the process answers), /readyz (every readiness check passes), /metrics (Prometheus text). */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  const bound = await bindOpsServer(opts.listen);
  bound.serve(opts);
  return bound;
}

/**
 * Listens on `listen` now, so a taken address is reported before the caller does anything else (the controller
 * binds before it opens its database). Until `serve` is called, /healthz answers 200, /readyz and /metrics 503.
 */
export async function bindOpsServer(listen: string): Promise<BoundOpsServer> {
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseHostPort(listen));
  } catch (err) {
    throw new Error(`--ops-listen: ${(err as Error).message}`);
  }
  let handlers: Omit<OpsServerOptions, 'listen'> | undefined;
  const server = http.createServer((req, res) => {
    void handle(req, res, handlers).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`--ops-listen: cannot listen on ${listen}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    serve(h) {
      handlers = h;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * The warning to log when the ops port is reachable from other machines, or undefined on loopback. The ops port
 * has no authentication (Prometheus scrapes it as is), so the operator must know what it shows and to whom.
 */
export function opsExposureWarning(listen: string): { msg: string; fields: Record<string, unknown> } | undefined {
  const { host } = parseHostPort(listen);
  if (isLoopbackHost(host)) return undefined;
  return {
    msg:
      'the ops port listens on a non-loopback address: /healthz, /readyz and /metrics are served without authentication ' +
      'to anyone who can reach it, and /metrics names every template and preset with its pool sizes and status. ' +
      'Restrict it with --ops-listen 127.0.0.1:PORT (scrape from this host or through a proxy), or with a firewall or network policy',
    fields: { ops: listen, exposes: ['/healthz', '/readyz', '/metrics'] },
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, opts: Omit<OpsServerOptions, 'listen'> | undefined): Promise<void> {
  const path = (req.url ?? '/').split('?')[0];
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
    return;
  }
  if (path === '/readyz') {
    if (opts === undefined) {
      res.writeHead(503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ ready: false, checks: { started: false } })}\n`);
      return;
    }
    const results: Record<string, boolean> = {};
    for (const c of opts.readiness) results[c.name] = await c.check().catch(() => false);
    const ok = Object.values(results).every(Boolean);
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ ready: ok, checks: results })}\n`);
    return;
  }
  if (path === '/metrics') {
    if (opts === undefined) {
      res.writeHead(503, { 'content-type': 'text/plain' }).end('starting: no metrics yet\n');
      return;
    }
    // Collect first: a failed collection must be a 500, not an empty 200 that looks like a healthy scrape.
    const body = await opts.metrics();
    res.writeHead(200, { 'content-type': opts.metricsContentType ?? metricsContentType }).end(body);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /healthz, /readyz or /metrics\n');
}
