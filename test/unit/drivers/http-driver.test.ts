/**
 * The http driver against a real platform server on loopback (a node http server whose answer each test sets),
 * so requests, signatures, dropped connections and polling are the real thing, not a mocked fetch.
 */
import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import * as http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { systemClock, type Clock } from '../../../controller/clock/clock';
import { ValidationError } from '../../../controller/domain/errors';
import { wireRequest, type DriverOutcome, type DriverRequest } from '../../../controller/drivers/exec';
import { createHttpDriver, type HttpDriver, type HttpDriverOptions } from '../../../controller/drivers/http/driver';
import { RUN_LOG_LIMIT_BYTES, RunLog } from '../../../controller/drivers/http/run-log';
import { DriverSecrets } from '../../../controller/drivers/secrets';
import { verifySignature, type VerifyResult } from '../../../controller/net/signature';
import packageJson from '../../../package.json';
import { FakeClock } from '../../helpers/fake-clock';
import { driverRequest } from '../../helpers/fixtures';
import { waitFor } from '../../helpers/wait';

const SECRET = 'platform-signing-secret-0123456789';

interface Received {
  method: string;
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  verified: VerifyResult;
}

type Handler = (got: Received, res: http.ServerResponse) => void;

/** A platform API on 127.0.0.1: records every request with its signature checked; `handle` answers. */
class Platform {
  readonly requests: Received[] = [];
  handle: Handler = (_got, res) => void res.writeHead(204).end();
  private readonly sockets = new Set<Socket>();
  private constructor(private readonly server: http.Server) {}

  static async start(): Promise<Platform> {
    const server = http.createServer();
    const p = new Platform(server);
    server.on('connection', (s: Socket) => {
      p.sockets.add(s);
      s.on('close', () => p.sockets.delete(s));
    });
    server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        const sig = req.headers['x-prewarm-signature'];
        // Checked with a wide tolerance: tests sign on fake clocks that started at the real time and moved on.
        const verified = verifySignature(SECRET, body, typeof sig === 'string' ? sig : undefined, Math.floor(Date.now() / 1000), 3600);
        const got: Received = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body, verified };
        p.requests.push(got);
        res.on('error', () => undefined);
        p.handle(got, res);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return p;
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  get origin(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

function json(res: http.ServerResponse, status: number, doc: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers }).end(JSON.stringify(doc));
}

let platform: Platform;
let secrets: DriverSecrets;
const drivers: HttpDriver[] = [];

beforeEach(async () => {
  platform = await Platform.start();
  secrets = DriverSecrets.load({ env: { PREWARM_SECRET_PLATFORM: SECRET } });
});
afterEach(async () => {
  for (const d of drivers.splice(0)) d.killAll();
  await platform.close();
});

function driver(over: Partial<HttpDriverOptions> = {}): HttpDriver {
  const d = createHttpDriver({ secrets, clock: systemClock, ownPorts: () => [], pollIntervalMs: 5, requestTimeoutMs: 10_000, ...over });
  drivers.push(d);
  return d;
}

function request(op: DriverRequest['op'] = 'create', over: Partial<DriverRequest> = {}): DriverRequest {
  return driverRequest(op, { config: { url: `${platform.origin}/api/`, secret_ref: 'platform' }, jobId: 42, ...over });
}

function message(o: DriverOutcome): string {
  if (o.kind === 'ok') throw new Error(`expected a failure, got ok: ${JSON.stringify(o.attributes)}`);
  return o.message;
}

/** Waits (in real time) until the fake clock has a timer due in exactly `ms`: the driver is then sleeping on it. */
async function timerSet(clock: FakeClock, ms: number): Promise<void> {
  await waitFor(`a ${ms} ms timer`, () => clock.pending().includes(ms), 4000, 5);
}

describe('the POST', () => {
  test('a 2xx with attributes is ok; the request is the exec wire request, with signed, documented headers', async () => {
    platform.handle = (_got, res) => json(res, 201, { attributes: { path: '/srv/ws-1', port: 8080, ready: true } });
    const req = request('create', { attempt: 3 });
    const o = await driver().run(req);
    expect(o).toEqual({ kind: 'ok', attributes: { path: '/srv/ws-1', port: '8080', ready: 'true' }, exitCode: 0, stderr: expect.any(String), durationMs: expect.any(Number) });
    expect(o.stderr).toMatch(new RegExp(`^\\+\\d+\\.\\d{3}s POST ${platform.origin}/api/create -> HTTP 201 \\([\\d.]+m?s\\)\\n$`));
    const [got] = platform.requests;
    expect(got!.method).toBe('POST');
    expect(got!.path).toBe('/api/create');
    expect(got!.body).toBe(JSON.stringify(wireRequest(req)));
    expect(JSON.parse(got!.body)).not.toHaveProperty('jobId');
    expect(got!.verified).toEqual({ ok: true });
    expect(got!.headers).toMatchObject({
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(got!.body)),
      'user-agent': `prewarm/${packageJson.version}`,
      'idempotency-key': 'prewarm-inst-0001-create-42',
      'x-prewarm-attempt': '3',
      'x-prewarm-operation': 'create',
    });
    expect(got!.headers['x-prewarm-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
  });

  test('the signature timestamp is the injected clock, in seconds', async () => {
    const clock = new FakeClock(Date.now() + 90_500);
    await driver({ clock }).run(request('stop'));
    const [got] = platform.requests;
    expect(got!.headers['x-prewarm-signature']).toMatch(new RegExp(`^t=${Math.floor(clock.now() / 1000)},`));
    expect(verifySignature(SECRET, got!.body, String(got!.headers['x-prewarm-signature']), Math.floor(clock.now() / 1000))).toEqual({ ok: true });
  });

  test('an empty 204 and a 200 with {} are ok without attributes; every op goes to <url>/<op>', async () => {
    const d = driver();
    for (const op of ['create', 'delete', 'start', 'stop'] as const) {
      expect(await d.run(request(op, { config: { url: `${platform.origin}/api//`, secret_ref: 'platform' } }))).toMatchObject({ kind: 'ok', attributes: {} });
    }
    platform.handle = (_got, res) => json(res, 200, {});
    expect(await d.run(request('stop', { config: { url: platform.origin, secret_ref: 'platform' } }))).toMatchObject({ kind: 'ok', attributes: {} });
    expect(platform.requests.map((r) => `${r.path} ${r.headers['x-prewarm-operation']}`)).toEqual([
      '/api/create create',
      '/api/delete delete',
      '/api/start start',
      '/api/stop stop',
      '/stop stop',
    ]);
  });

  test('422 is permanent, quoting the error field, bounded and without control characters', async () => {
    platform.handle = (_got, res) => json(res, 422, { error: 'image "x" does not exist\n\u001b[31mred' });
    const o = await driver().run(request());
    expect(o.kind).toBe('permanent');
    expect(o.exitCode).toBe(78);
    expect(message(o)).toBe(
      `driver "http" create: POST ${platform.origin}/api/create answered HTTP 422 (the platform refused the request as invalid): image "x" does not exist [31mred`,
    );
    platform.handle = (_got, res) => json(res, 422, { message: 'm'.repeat(5000) });
    const long = message(await driver().run(request()));
    expect(long).toMatch(/invalid\): m+…$/);
    expect(long.length).toBeLessThan(400);
    platform.handle = (_got, res) => void res.writeHead(422).end('plain text reason');
    expect(message(await driver().run(request()))).toMatch(/: plain text reason$/);
  });

  test('5xx, 408, 429 and other 4xx are retryable, with the status and a hint where one helps', async () => {
    const d = driver();
    const cases: [number, string, RegExp][] = [
      [500, 'database down', /answered HTTP 500: database down$/],
      [503, '', /answered HTTP 503$/],
      [408, '', /answered HTTP 408$/],
      [429, '{"error":{"message":"slow down"}}', /answered HTTP 429: slow down$/],
      [401, '{"error":"bad signature"}', /answered HTTP 401: bad signature \(is config\.secret_ref the secret the platform verifies with\?\)$/],
      [404, '', /answered HTTP 404 \(is config\.url the platform's prewarm API\?\)$/],
      [409, 'busy', /answered HTTP 409: busy$/],
    ];
    for (const [status, body, want] of cases) {
      platform.handle = (_got, res) => void res.writeHead(status).end(body);
      const o = await d.run(request());
      expect(o).toMatchObject({ kind: 'retryable', exitCode: null });
      expect(message(o)).toMatch(want);
    }
  });

  test('an answer past requestTimeoutMs is a retryable timeout, on the injected clock', async () => {
    platform.handle = () => undefined;
    const clock = new FakeClock(Date.now());
    const pending = driver({ clock, requestTimeoutMs: 5000 }).run(request());
    await waitFor('the POST', () => platform.requests.length === 1);
    clock.advance(4999);
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    clock.advance(1);
    const o = await pending;
    expect(o).toMatchObject({ kind: 'retryable', message: `driver "http" create: POST ${platform.origin}/api/create had no answer within 5s`, durationMs: 5000 });
    expect(o.stderr).toMatch(/POST .* -> no answer within 5s \(5s\)/);
  });

  test('a redirect is not followed', async () => {
    platform.handle = (_got, res) => void res.writeHead(307, { Location: `${platform.origin}/elsewhere` }).end();
    const o = await driver().run(request());
    expect(o.kind).toBe('retryable');
    expect(message(o)).toBe(
      `driver "http" create: POST ${platform.origin}/api/create answered HTTP 307, a redirect to ${platform.origin}/elsewhere: redirects are refused, since a signed request goes only where config.url says; point config.url at the final address`,
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(platform.requests.map((r) => r.path)).toEqual(['/api/create']);
  });

  test('an answer over 1 MiB is retryable and not read to its end', async () => {
    let written = 0;
    platform.handle = (_got, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      const block = Buffer.alloc(64 * 1024, 'x');
      const pump = () => {
        while (written < 64 * 1024 * 1024) {
          written += block.length;
          if (!res.write(block)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    };
    const o = await driver().run(request());
    expect(message(o)).toBe(
      `driver "http" create: POST ${platform.origin}/api/create answered HTTP 200 with more than 1 MiB; the answer must be one JSON object of at most 1 MiB`,
    );
    expect(written).toBeLessThan(16 * 1024 * 1024);
  });

  test('an answer that is not the JSON contract is retryable with a bounded excerpt', async () => {
    platform.handle = (_got, res) => void res.writeHead(200).end('<html>\u001b]0;pwned\u0007 gateway</html>' + 'y'.repeat(1000));
    const o = await driver().run(request());
    expect(o.kind).toBe('retryable');
    const m = message(o);
    expect(m).toMatch(/^driver "http" create: POST .* answered HTTP 200 with output that is not JSON: .* \(first 200 bytes: <html> \]0;pwned gateway<\/html>y+…\)$/);
    expect(m).not.toMatch(/[\u0000-\u001f]/);
    platform.handle = (_got, res) => json(res, 200, { attributes: { nested: { no: 1 } } });
    expect(message(await driver().run(request()))).toMatch(/answered HTTP 200 with "attributes" that is not flat: attributes\["nested"\] is an object/);
  });

  test('a refused connection is retryable', async () => {
    const port = platform.port;
    await platform.close();
    const o = await driver().run(driverRequest('create', { config: { url: `http://127.0.0.1:${port}`, secret_ref: 'platform' } }));
    expect(message(o)).toBe(`driver "http" create: POST http://127.0.0.1:${port}/create failed: connection refused`);
    expect(o.stderr).toMatch(/POST http:\/\/127\.0\.0\.1:\d+\/create -> connection refused/);
    platform = await Platform.start();
  });

  test("a URL reaching this controller's own port is refused before anything is sent", async () => {
    const d = driver({ ownPorts: () => [platform.port] });
    expect(message(await d.run(request()))).toBe(
      `driver "http" create cannot run: refused: ${platform.origin}/api/create reaches this controller's own port ${platform.port}`,
    );
    const viaName = await d.run(request('create', { config: { url: `http://localhost:${platform.port}`, secret_ref: 'platform' } }));
    expect(viaName.kind).toBe('retryable');
    expect(message(viaName)).toMatch(/reaches this controller's own port/);
    await new Promise((r) => setTimeout(r, 30));
    expect(platform.requests).toEqual([]);
  });
});

describe('a dropped connection and the re-drive', () => {
  test('the POST arrived but the connection dropped: retryable; the re-drive has the same key and the platform dedupes', async () => {
    const answered = new Map<string, { status: number; body: string }>();
    let instances = 0;
    let dropNext = true;
    platform.handle = (got, res) => {
      const key = String(got.headers['idempotency-key']);
      const seen = answered.get(key);
      if (seen) return void res.writeHead(seen.status, { 'Content-Type': 'application/json' }).end(seen.body);
      instances++;
      const result = { status: 201, body: JSON.stringify({ attributes: { instance: `i-${instances}` } }) };
      answered.set(key, result);
      if (dropNext) {
        // The platform did the work, then the connection died before the answer (a crash on either side).
        dropNext = false;
        return void res.socket?.destroy();
      }
      res.writeHead(result.status, { 'Content-Type': 'application/json' }).end(result.body);
    };
    const d = driver();
    const first = await d.run(request('create', { jobId: 7, attempt: 1 }));
    expect(first.kind).toBe('retryable');
    expect(message(first)).toBe(`driver "http" create: POST ${platform.origin}/api/create failed: connection reset by the receiver`);
    const again = await d.run(request('create', { jobId: 7, attempt: 2 }));
    expect(again).toMatchObject({ kind: 'ok', attributes: { instance: 'i-1' } });
    expect(instances).toBe(1);
    expect(platform.requests.map((r) => [r.headers['idempotency-key'], r.headers['x-prewarm-attempt']])).toEqual([
      ['prewarm-inst-0001-create-7', '1'],
      ['prewarm-inst-0001-create-7', '2'],
    ]);
    expect(platform.requests[0]!.body).toBe(platform.requests[1]!.body.replace('"attempt":2', '"attempt":1'));
  });

  test('a connection that dies half-way through the answer is no answer', async () => {
    platform.handle = (_got, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': '100' });
      res.write('{"attributes": {"pa');
      setTimeout(() => res.socket?.destroy(), 10);
    };
    const o = await driver().run(request());
    expect(o.kind).toBe('retryable');
    expect(message(o)).toMatch(/failed: the connection (broke while reading|closed before the whole) .*HTTP 200 answer/);
  });
});

describe('202 Accepted and polling', () => {
  test('polls Location (relative, resolved against the POST URL) with signed GETs until a result', async () => {
    let polls = 0;
    platform.handle = (got, res) => {
      if (got.method === 'POST') return void res.writeHead(202, { Location: 'ops/17' }).end();
      polls++;
      if (polls === 1) return void res.writeHead(202).end('still building');
      if (polls === 2) return void res.writeHead(503).end('busy');
      if (polls === 3) return void res.socket?.destroy();
      json(res, 200, { attributes: { path: '/srv/x' } });
    };
    const o = await driver().run(request('create', { attempt: 2 }));
    expect(o).toMatchObject({ kind: 'ok', attributes: { path: '/srv/x' } });
    expect(platform.requests.map((r) => `${r.method} ${r.path}`)).toEqual(['POST /api/create', ...Array(4).fill('GET /api/ops/17')]);
    for (const r of platform.requests.slice(1)) {
      expect(r.body).toBe('');
      expect(r.verified).toEqual({ ok: true });
      expect(r.headers).toMatchObject({ 'idempotency-key': 'prewarm-inst-0001-create-42', 'x-prewarm-attempt': '2', 'x-prewarm-operation': 'create', 'user-agent': `prewarm/${packageJson.version}` });
      expect(r.headers['content-type']).toBeUndefined();
    }
    const lines = o.stderr.trim().split('\n').map((l) => l.replace(/^\+\S+ /, '').replace(/ \([\d.]+m?s\)/, ''));
    expect(lines).toEqual([
      `POST ${platform.origin}/api/create -> HTTP 202`,
      `GET ${platform.origin}/api/ops/17 -> HTTP 202`,
      `GET ${platform.origin}/api/ops/17 -> HTTP 503`,
      `GET ${platform.origin}/api/ops/17 -> connection reset by the receiver`,
      `GET ${platform.origin}/api/ops/17 -> HTTP 200`,
    ]);
  });

  test('a poll answering 422 is permanent', async () => {
    platform.handle = (got, res) => {
      if (got.method === 'POST') return void res.writeHead(202, { Location: `${platform.origin}/ops/1` }).end();
      json(res, 422, { error: 'quota exceeded for project' });
    };
    const o = await driver().run(request());
    expect(o.kind).toBe('permanent');
    expect(message(o)).toBe(`driver "http" create: GET ${platform.origin}/ops/1 answered HTTP 422 (the platform refused the request as invalid): quota exceeded for project`);
  });

  test('Retry-After is honoured in whole seconds and capped at a minute', async () => {
    const clock = new FakeClock(Date.now());
    let polls = 0;
    platform.handle = (got, res) => {
      if (got.method === 'POST') return void res.writeHead(202, { Location: '/ops/1', 'Retry-After': '5' }).end();
      polls++;
      if (polls === 1) return void res.writeHead(202, { 'Retry-After': '3600' }).end();
      if (polls === 2) return void res.writeHead(202, { 'Retry-After': 'Wed, 21 Oct 2015 07:28:00 GMT' }).end();
      json(res, 201, { attributes: { done: 'yes' } });
    };
    const pending = driver({ clock, pollIntervalMs: 2000 }).run(request());
    await timerSet(clock, 5000);
    clock.advance(5000);
    await timerSet(clock, 60_000);
    clock.advance(60_000);
    await timerSet(clock, 2000);
    clock.advance(2000);
    expect(await pending).toMatchObject({ kind: 'ok', attributes: { done: 'yes' }, durationMs: 67_000 });
    expect(polls).toBe(3);
  });

  test('the driver timeout bounds the polling as a whole', async () => {
    platform.handle = (got, res) => void res.writeHead(202, got.method === 'POST' ? { Location: '/ops/1' } : {}).end();
    const clock = new FakeClock(Date.now());
    const pending = driver({ clock, pollIntervalMs: 1000, timeoutMs: 3500 }).run(request());
    for (let i = 0; i < 3; i++) {
      await timerSet(clock, 1000);
      clock.advance(1000);
      await waitFor(`poll ${i + 1}`, () => platform.requests.length === i + 2);
    }
    // The deadline falls in the middle of the next wait, once the third poll's answer is in.
    await timerSet(clock, 1000);
    clock.advance(500);
    const o = await pending;
    expect(message(o)).toBe(`driver "http" create timed out after 3.5s while polling ${platform.origin}/ops/1 (last answer: HTTP 202)`);
  });

  test('a Location on another origin is refused without following it', async () => {
    // The same server under another name is another origin: the poll would carry a signature elsewhere.
    platform.handle = (_got, res) => void res.writeHead(202, { Location: `http://localhost:${platform.port}/ops/1` }).end();
    const o = await driver().run(request());
    expect(o.kind).toBe('permanent');
    expect(message(o)).toBe(
      `driver "http" create: POST ${platform.origin}/api/create answered HTTP 202 Accepted with a Location header on another origin (http://localhost:${platform.port}); polls must stay on ${platform.origin}, the origin of config.url`,
    );
    await new Promise((r) => setTimeout(r, 30));
    expect(platform.requests).toHaveLength(1);
  });

  test('202 without Location is retryable', async () => {
    platform.handle = (_got, res) => void res.writeHead(202).end();
    const o = await driver().run(request());
    expect(o.kind).toBe('retryable');
    expect(message(o)).toBe(`driver "http" create: POST ${platform.origin}/api/create answered HTTP 202 Accepted without a Location header, so there is nothing to poll`);
  });
});

describe('aborts and kills', () => {
  test('an abort signal ends the request in flight', async () => {
    platform.handle = () => undefined;
    const d = driver();
    const ac = new AbortController();
    const pending = d.run(request(), ac.signal);
    await waitFor('the POST', () => platform.requests.length === 1);
    expect(d.running).toBe(1);
    ac.abort(new Error('leadership lost'));
    const o = await pending;
    expect(o).toMatchObject({ kind: 'retryable', message: `driver "http" create was aborted (leadership lost) while waiting for POST ${platform.origin}/api/create` });
    expect(d.running).toBe(0);
    const already = new AbortController();
    already.abort();
    expect(message(await d.run(request(), already.signal))).toMatch(/^driver "http" create was aborted before it started \(.+\)$/);
    expect(platform.requests).toHaveLength(1);
  });

  test('an abort while waiting between polls ends the run at once', async () => {
    platform.handle = (got, res) => void res.writeHead(202, got.method === 'POST' ? { Location: '/ops/1' } : {}).end();
    const clock = new FakeClock(Date.now());
    const ac = new AbortController();
    const pending = driver({ clock, pollIntervalMs: 60_000 }).run(request(), ac.signal);
    await timerSet(clock, 60_000);
    ac.abort('drain');
    expect(message(await pending)).toBe(`driver "http" create was aborted (drain) while polling ${platform.origin}/ops/1 (last answer: HTTP 202)`);
  });

  test('killAll interrupts what runs and refuses new runs without sending; killRunning keeps accepting', async () => {
    platform.handle = () => undefined;
    const d = driver();
    const a = d.run(request());
    await waitFor('the POST', () => platform.requests.length === 1);
    d.killRunning();
    expect(message(await a)).toBe(`driver "http" create was interrupted by controller shutdown while waiting for POST ${platform.origin}/api/create`);
    const b = d.run(request());
    await waitFor('the second POST', () => platform.requests.length === 2);
    d.killAll();
    expect(message(await b)).toMatch(/was interrupted by controller shutdown/);
    expect(await d.run(request())).toMatchObject({ kind: 'retryable', message: 'driver "http" create was not started: the controller is shutting down' });
    await new Promise((r) => setTimeout(r, 30));
    expect(platform.requests).toHaveLength(2);
    expect(d.running).toBe(0);
  });
});

describe('run-time configuration', () => {
  test('a secret that no longer resolves is retryable and sends nothing', async () => {
    const env: NodeJS.ProcessEnv = { PREWARM_SECRET_PLATFORM: SECRET };
    secrets = DriverSecrets.load({ env });
    const d = driver();
    expect(await d.run(request())).toMatchObject({ kind: 'ok' });
    delete env['PREWARM_SECRET_PLATFORM'];
    const o = await d.run(request());
    expect(o.kind).toBe('retryable');
    expect(message(o)).toBe(
      'driver "http" create cannot run: secret "platform" is not defined: the controller has no --secrets-file and the environment variable PREWARM_SECRET_PLATFORM is not set',
    );
    expect(platform.requests).toHaveLength(1);
  });

  test('a config that breaks the rules is permanent', async () => {
    const o = await driver().run(request('create', { config: { url: 'http://platform.example.com', secret_ref: 'platform' } }));
    expect(o.kind).toBe('permanent');
    expect(message(o)).toMatch(/^driver "http" create cannot run: config\.url: must use https:\/\//);
  });
});

describe('checkConfig', () => {
  function problems(config: Record<string, string>): { path: (string | number)[]; message: string }[] {
    try {
      driver().checkConfig(config);
    } catch (err) {
      expect(err).toBeInstanceOf(ValidationError);
      return (err as ValidationError).errors;
    }
    return [];
  }

  test('good configs pass', () => {
    for (const url of ['https://platform.example.com', 'https://platform.example.com/prewarm/', 'http://localhost:8080/x', 'http://127.0.0.2:1', 'http://[::1]:9000']) {
      expect(problems({ url, secret_ref: 'platform' })).toEqual([]);
    }
  });

  test('each refusal names its field', () => {
    const ref = { secret_ref: 'platform' };
    const cases: [Record<string, string>, string, RegExp][] = [
      [{ ...ref }, 'url', /^is required/],
      [{ url: '', ...ref }, 'url', /^must not be empty/],
      [{ url: 'not a url', ...ref }, 'url', /spaces or control characters/],
      [{ url: 'platform.example.com', ...ref }, 'url', /^must be an absolute https:\/\/ URL/],
      [{ url: 'http://platform.example.com', ...ref }, 'url', /^must use https:\/\/ \(plain http:\/\/ only to localhost or a loopback address\)/],
      [{ url: 'http://10.0.0.5:8080', ...ref }, 'url', /^must use https:\/\//],
      [{ url: 'ftp://platform.example.com', ...ref }, 'url', /^must use https:\/\/, got "ftp"/],
      [{ url: 'https://u:p@platform.example.com', ...ref }, 'url', /^must not contain credentials/],
      [{ url: 'https://platform.example.com/?a=1', ...ref }, 'url', /^must not have a query/],
      [{ url: 'https://platform.example.com/?', ...ref }, 'url', /^must not have a query/],
      [{ url: 'https://platform.example.com/#x', ...ref }, 'url', /^must not have a fragment/],
      [{ url: 'https://platform.example.com' }, 'secret_ref', /^is required/],
      [{ url: 'https://platform.example.com', secret_ref: '9 lives' }, 'secret_ref', /^must be a secret name/],
      [{ url: 'https://platform.example.com', secret_ref: 'nope' }, 'secret_ref', /^secret "nope" is not defined: .*; to define it, set the environment variable PREWARM_SECRET_NOPE on the controller/],
      [{ url: 'https://platform.example.com', ...ref, token: 'abc' }, 'token', /^is not a setting of the http driver \(known: url, secret_ref\)$/],
    ];
    for (const [config, field, want] of cases) {
      const errs = problems(config);
      expect(errs).toHaveLength(1);
      expect(errs[0]!.path).toEqual(['config', field]);
      expect(errs[0]!.message).toMatch(want);
    }
  });

  test("a URL on this controller's own port is refused", () => {
    const d = driver({ ownPorts: () => [7443] });
    expect(() => d.checkConfig({ url: 'http://localhost:7443', secret_ref: 'platform' })).toThrow("config.url: reaches this controller's own port 7443");
    expect(() => d.checkConfig({ url: 'https://platform.example.com:7443', secret_ref: 'platform' })).not.toThrow();
  });

  test('every problem is reported at once, and a secret value never appears', () => {
    const errs = problems({ url: 'http://x.example.com', secret_ref: 'platform', extra: SECRET });
    expect(errs.map((e) => e.path.join('.'))).toEqual(['config.extra', 'config.url']);
    expect(JSON.stringify(errs)).not.toContain(SECRET);
  });
});

describe('the run log', () => {
  test('is bounded to 64 KiB, keeping its first and last lines', () => {
    const clock: Clock = new FakeClock(0);
    const log = new RunLog(clock, 0);
    for (let i = 0; i < 5000; i++) log.line(`GET https://platform.example.com/ops/${i} -> HTTP 202 ${'x'.repeat(50)}`);
    const text = log.text();
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(RUN_LOG_LIMIT_BYTES);
    expect(text.startsWith('+0.000s GET https://platform.example.com/ops/0 ')).toBe(true);
    expect(text).toMatch(/\/ops\/4999 -> HTTP 202 x+\n$/);
    expect(text).toMatch(/\n… \d+ lines left out …\n/);
    const control = new RunLog(clock, 0);
    control.line('a\u001b[2Jb\nc');
    expect(control.text()).toBe('+0.000s a [2Jb c\n');
  });
});
