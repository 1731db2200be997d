import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import * as net from 'node:net';
import { systemClock } from '../../../controller/clock/clock';
import { boundedText, isLocalAddress, postWebhook, USER_AGENT, type WebhookRequest } from '../../../controller/notify/http-sender';
import { signPayload } from '../../../controller/net/signature';
import packageJson from '../../../package.json';
import { FakeClock } from '../../helpers/fake-clock';
import { WebhookReceiver } from '../../helpers/webhook-receiver';

const SECRET = 'whsec-0123456789abcdef';
const BODY = JSON.stringify({ id: 1, key: 'k-1', event: 'workspace_autostopped', subject: {}, data: {} });
let receiver: WebhookReceiver;

beforeEach(async () => {
  receiver = await WebhookReceiver.start({ secret: SECRET });
});
afterEach(() => receiver.close());

function request(over: Partial<WebhookRequest> = {}): WebhookRequest {
  return {
    url: receiver.url,
    body: BODY,
    event: 'workspace_autostopped',
    key: 'k-1',
    signature: signPayload(SECRET, BODY, Math.floor(Date.now() / 1000)),
    timeoutMs: 2000,
    clock: systemClock,
    ownPorts: () => [],
    ...over,
  };
}

describe('postWebhook', () => {
  test('a 2xx is ok; the request carries the documented headers and a signature the receiver verifies', async () => {
    const r = await postWebhook(request());
    expect(r).toEqual({ ok: true, status: 200, error: '', latencyMs: expect.any(Number) });
    const [got] = receiver.requests;
    expect(got.method).toBe('POST');
    expect(got.path).toBe('/hook');
    expect(got.body).toBe(BODY);
    expect(got.headers['content-type']).toBe('application/json');
    expect(got.headers['user-agent']).toBe(`prewarm/${packageJson.version}`);
    expect(USER_AGENT).toBe(`prewarm/${packageJson.version}`);
    expect(got.headers['x-prewarm-event']).toBe('workspace_autostopped');
    expect(got.headers['x-prewarm-delivery']).toBe('k-1');
    expect(got.verified).toEqual({ ok: true });
    await receiver.set({ kind: 'ok', status: 204 });
    expect(await postWebhook(request())).toMatchObject({ ok: true, status: 204 });
  });

  test('a 500 fails with the start of its body, control characters removed', async () => {
    await receiver.set({ kind: 'status', status: 500, body: 'database\nis\u001b[31m down' });
    expect(await postWebhook(request())).toMatchObject({ ok: false, status: 500, error: 'HTTP 500: database is [31m down' });
    await receiver.set({ kind: 'status', status: 404 });
    expect(await postWebhook(request())).toMatchObject({ ok: false, status: 404, error: 'HTTP 404' });
  });

  test('a redirect is not followed', async () => {
    await receiver.set({ kind: 'status', status: 302, headers: { Location: `${receiver.url}/elsewhere` } });
    const r = await postWebhook(request());
    expect(r).toMatchObject({ ok: false, status: 302, error: 'HTTP 302 (redirects are not followed)' });
    expect(receiver.requests.map((q) => q.path)).toEqual(['/hook']);
  });

  test('a refused connection', async () => {
    await receiver.set({ kind: 'closed' });
    expect(await postWebhook(request())).toEqual({ ok: false, status: null, error: 'connection refused', latencyMs: expect.any(Number) });
    // And the receiver comes back on the same port.
    await receiver.set({ kind: 'ok' });
    expect(await postWebhook(request())).toMatchObject({ ok: true, status: 200 });
  });

  test('a hanging receiver times out on the injected clock', async () => {
    await receiver.set({ kind: 'hang' });
    const clock = new FakeClock(Date.now());
    const pending = postWebhook(request({ clock, timeoutMs: 10_000 }));
    await receiver.waitForRequests(1);
    clock.advance(9_999);
    await new Promise((r) => setTimeout(r, 20));
    let settled = false;
    void pending.then(() => (settled = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    clock.advance(1);
    expect(await pending).toMatchObject({ ok: false, status: null, error: 'timed out after 10s' });
  });

  test('a slow answer within the timeout is fine; a sub-second timeout reads in ms', async () => {
    await receiver.set({ kind: 'slow', ms: 50 });
    expect(await postWebhook(request())).toMatchObject({ ok: true, status: 200 });
    await receiver.set({ kind: 'slow', ms: 2000 });
    expect(await postWebhook(request({ timeoutMs: 100 }))).toMatchObject({ ok: false, error: 'timed out after 100ms' });
  });

  test('an abort signal ends the request', async () => {
    await receiver.set({ kind: 'hang' });
    const ac = new AbortController();
    const pending = postWebhook(request({ signal: ac.signal }));
    await receiver.waitForRequests(1);
    ac.abort();
    expect(await pending).toMatchObject({ ok: false, status: null, error: 'aborted: the controller is stopping' });
    const already = new AbortController();
    already.abort();
    expect(await postWebhook(request({ signal: already.signal }))).toMatchObject({ ok: false, error: /aborted/ });
  });

  test('a huge error body is read only up to the bound, and the excerpt is at most 200 characters', async () => {
    const total = 64 * 1024 * 1024;
    await receiver.set({ kind: 'large', bytes: total, status: 500 });
    const r = await postWebhook(request());
    expect(r.ok).toBe(false);
    expect(r.status).toBe(500);
    expect(r.error).toMatch(/^HTTP 500: x+…$/);
    expect([...r.error].length).toBe(200);
    await new Promise((res) => setTimeout(res, 100));
    expect(receiver.largeBytesWritten).toBeLessThan(total / 4);
  });

  test('a large 2xx body does not hold the result', async () => {
    await receiver.set({ kind: 'large', bytes: 8 * 1024 * 1024 });
    expect(await postWebhook(request())).toMatchObject({ ok: true, status: 200 });
  });

  test("a connection reaching this controller's own port is refused before anything is sent", async () => {
    const r = await postWebhook(request({ ownPorts: () => [9, receiver.port] }));
    expect(r).toMatchObject({ ok: false, status: null, error: `refused: http://127.0.0.1:${receiver.port}/hook reaches this controller's own port ${receiver.port}` });
    // A host name resolving here is caught the same way (where it resolves, before any connection).
    const viaName = await postWebhook(request({ url: `http://localhost:${receiver.port}/hook`, ownPorts: () => [receiver.port] }));
    expect(viaName.error).toMatch(/reaches this controller's own port/);
    await new Promise((res) => setTimeout(res, 50));
    expect(receiver.requests).toEqual([]);
  });

  test('a host name resolving here is refused before connecting: over https not even the TLS hello leaves', async () => {
    let seen = Buffer.alloc(0);
    let connections = 0;
    const tcp = net.createServer((s) => {
      connections++;
      s.on('data', (c: Buffer) => (seen = Buffer.concat([seen, c])));
    });
    await new Promise<void>((r) => tcp.listen(0, '127.0.0.1', r));
    const port = (tcp.address() as net.AddressInfo).port;
    const r = await postWebhook(request({ url: `https://localhost:${port}/x`, ownPorts: () => [port] }));
    expect(r.error).toBe(`refused: https://localhost:${port}/x reaches this controller's own port ${port}`);
    await new Promise((res) => setTimeout(res, 30));
    expect(connections).toBe(0);
    expect(seen.length).toBe(0);
    await new Promise<void>((res) => tcp.close(() => res()));
  });

  test('a server that does not speak HTTP, a reset, and an unresolvable host', async () => {
    const junk = net.createServer((s) => s.resume().end('SSH-2.0-OpenSSH\r\n\r\n'));
    await new Promise<void>((r) => junk.listen(0, '127.0.0.1', r));
    const port = (junk.address() as net.AddressInfo).port;
    const notHttp = await postWebhook(request({ url: `http://127.0.0.1:${port}/` }));
    expect(notHttp).toMatchObject({ ok: false, status: null });
    expect(notHttp.error).not.toBe('');
    await new Promise<void>((r) => junk.close(() => r()));

    const reset = net.createServer((s) => s.on('data', () => s.resetAndDestroy()));
    await new Promise<void>((r) => reset.listen(0, '127.0.0.1', r));
    const resetPort = (reset.address() as net.AddressInfo).port;
    expect(await postWebhook(request({ url: `http://127.0.0.1:${resetPort}/` }))).toMatchObject({ ok: false, error: 'connection reset by the receiver' });
    await new Promise<void>((r) => reset.close(() => r()));

    const dns = await postWebhook(request({ url: 'http://no-such-host.invalid/hook' }));
    expect(dns).toMatchObject({ ok: false, status: null });
    expect(dns.error).toMatch(/no-such-host\.invalid/);
  });
});

describe('helpers', () => {
  test('boundedText flattens and bounds', () => {
    expect(boundedText('a\r\n\tb\u0000c')).toBe('a b c');
    expect([...boundedText('é'.repeat(500))].length).toBe(200);
  });

  test('isLocalAddress knows loopback, unspecified and mapped forms', () => {
    for (const a of ['127.0.0.1', '127.1.2.3', '::1', '::ffff:127.0.0.1', '0.0.0.0', '::']) expect(isLocalAddress(a)).toBe(true);
    expect(isLocalAddress('203.0.113.9')).toBe(false);
  });
});
