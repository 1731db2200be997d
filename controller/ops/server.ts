import * as http from 'node:http';
import { parseHostPort } from '../api/address';
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

/** /healthz (the process answers), /readyz (every readiness check passes), /metrics (Prometheus text). */
export async function startOpsServer(opts: OpsServerOptions): Promise<OpsServer> {
  let host: string;
  let port: number;
  try {
    ({ host, port } = parseHostPort(opts.listen));
  } catch (err) {
    throw new Error(`--ops-listen: ${(err as Error).message}`);
  }
  const server = http.createServer((req, res) => {
    void handle(req, res, opts).catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) =>
      reject(new Error(`--ops-listen: cannot listen on ${opts.listen}: ${err.code === 'EADDRINUSE' ? 'address already in use' : err.message}`)),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  return {
    port: typeof address === 'object' && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, opts: OpsServerOptions): Promise<void> {
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
    const results: Record<string, boolean> = {};
    for (const c of opts.readiness) results[c.name] = await c.check().catch(() => false);
    const ok = Object.values(results).every(Boolean);
    res.writeHead(ok ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ ready: ok, checks: results })}\n`);
    return;
  }
  if (path === '/metrics') {
    // Collect first: a failed collection must be a 500, not an empty 200 that looks like a healthy scrape.
    const body = await opts.metrics();
    res.writeHead(200, { 'content-type': opts.metricsContentType ?? metricsContentType }).end(body);
    return;
  }
  res.writeHead(404, { 'content-type': 'text/plain' }).end('not found; try /healthz, /readyz or /metrics\n');
}
