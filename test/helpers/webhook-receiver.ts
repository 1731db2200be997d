/**
 * A real webhook receiver on loopback for the notification tests: a node http server on 127.0.0.1 whose behaviour
 * can be switched while it runs (answer, fail, hang, refuse connections, answer slowly), recording every request
 * and checking its signature with the target's secret.
 */
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { verifySignature, type VerifyResult } from '../../controller/net/signature';

export type ReceiverBehaviour =
  | { kind: 'ok'; status?: number }
  | { kind: 'status'; status: number; body?: string; headers?: Record<string, string> }
  /** Reads the request, never answers. */
  | { kind: 'hang' }
  /** Not listening: connections are refused until another behaviour is set (same port). */
  | { kind: 'closed' }
  | { kind: 'slow'; ms: number; status?: number }
  /** Answers `status` (200) with this many bytes of body, written as fast as the client reads. */
  | { kind: 'large'; bytes: number; status?: number };

export interface ReceiverOptions {
  /** Checks each request's X-Prewarm-Signature with it (against the real time). */
  secret?: string;
  behaviour?: ReceiverBehaviour;
  /** The time (ms) signatures are checked at; the real time unless a test signs on a fake clock. */
  now?: () => number;
}

export interface ReceivedRequest {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  /** Date.now() when the body was complete. */
  at: number;
  /** The signature checked with the receiver's secret (null when it has none). */
  verified: VerifyResult | null;
}

export class WebhookReceiver {
  readonly requests: ReceivedRequest[] = [];
  private behaviour: ReceiverBehaviour = { kind: 'ok' };
  private server: http.Server;
  private readonly sockets = new Set<Socket>();
  private listening = false;
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Body bytes the 'large' behaviour managed to write (a client that stops reading keeps it low). */
  largeBytesWritten = 0;
  port = 0;

  private constructor(
    private readonly secret: string | undefined,
    private readonly now: () => number,
  ) {
    this.server = this.makeServer();
  }

  /** Listens on 127.0.0.1 on a free port. */
  static async start(opts: ReceiverOptions): Promise<WebhookReceiver> {
    const r = new WebhookReceiver(opts.secret, opts.now ?? Date.now);
    await r.listen(0);
    // A receiver that starts closed still owns a port: it was bound once, so a later set() listens there again.
    if (opts.behaviour) await r.set(opts.behaviour);
    return r;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  /** Requests whose signature verified. */
  get verified(): ReceivedRequest[] {
    return this.requests.filter((r) => r.verified?.ok === true);
  }

  /** Distinct X-Prewarm-Delivery keys received (what a receiver that dedupes by key sees). */
  keys(): string[] {
    return [...new Set(this.requests.map((r) => String(r.headers['x-prewarm-delivery'])))];
  }

  async set(behaviour: ReceiverBehaviour): Promise<void> {
    this.behaviour = behaviour;
    if (behaviour.kind === 'closed' && this.listening) await this.stopListening();
    else if (behaviour.kind !== 'closed' && !this.listening) await this.listen(this.port);
  }

  /** Resolves once `n` requests have arrived (polls; bounded). */
  async waitForRequests(n: number, timeoutMs = 4000): Promise<ReceivedRequest[]> {
    const deadline = Date.now() + timeoutMs;
    while (this.requests.length < n) {
      if (Date.now() > deadline) throw new Error(`receiver got ${this.requests.length} of ${n} requests in ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 5));
    }
    return this.requests.slice(0, n);
  }

  async close(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    if (this.listening) await this.stopListening();
  }

  private makeServer(): http.Server {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.on('connection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    return server;
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        this.listening = true;
        this.port = (this.server.address() as AddressInfo).port;
        resolve();
      });
    });
  }

  /** Stops accepting and drops open connections (hanging ones included), so the port refuses from now on. */
  private stopListening(): Promise<void> {
    return new Promise((resolve) => {
      this.server.close(() => {
        this.listening = false;
        // A closed server cannot listen again: the next behaviour gets a new one on the same port.
        this.server = this.makeServer();
        resolve();
      });
      for (const s of this.sockets) s.destroy();
    });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const header = req.headers['x-prewarm-signature'];
      this.requests.push({
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        at: Date.now(),
        verified: this.secret === undefined ? null : verifySignature(this.secret, body, typeof header === 'string' ? header : undefined, Math.floor(this.now() / 1000)),
      });
      const b = this.behaviour;
      res.on('error', () => undefined);
      switch (b.kind) {
        case 'ok':
          res.writeHead(b.status ?? 200, { 'Content-Type': 'text/plain' }).end('ok');
          return;
        case 'status':
          res.writeHead(b.status, { 'Content-Type': 'text/plain', ...b.headers }).end(b.body ?? '');
          return;
        case 'hang':
        case 'closed':
          return;
        case 'slow':
          {
            const t = setTimeout(() => {
              this.timers.delete(t);
              if (!res.destroyed) res.writeHead(b.status ?? 200).end('slow ok');
            }, b.ms);
            this.timers.add(t);
          }
          return;
        case 'large': {
          res.writeHead(b.status ?? 200, { 'Content-Type': 'text/plain' });
          let left = b.bytes;
          const block = Buffer.alloc(16 * 1024, 'x');
          const pump = () => {
            while (left > 0) {
              const n = Math.min(left, block.length);
              left -= n;
              this.largeBytesWritten += n;
              if (!res.write(block.subarray(0, n))) return void res.once('drain', pump);
            }
            res.end();
          };
          pump();
          return;
        }
      }
    });
  }
}
