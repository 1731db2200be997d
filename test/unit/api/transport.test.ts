import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer } from '../../../controller/api/grpc-server';
import { createClient, parseEndpoint } from '../../../controller/api/client';
import { isLoopbackHost, parseHostPort } from '../../../controller/api/address';
import { TOKEN, startTestApi, type TestApi } from '../../helpers/api-fake';
import { WorkspaceFakeService } from '../../helpers/workspace-fake';
import { skipping } from '../../helpers/skip';
import { makePki, opensslUnavailable } from '../../helpers/pki';

describe('listen addresses', () => {
  test('non-loopback without TLS is refused with a message naming the flags', async () => {
    for (const listen of ['0.0.0.0:0', '[::]:0', '10.1.2.3:7420']) {
      await assert.rejects(
        startApiServer({ service: new WorkspaceFakeService(), listen, verifyToken: () => true }),
        /refusing to serve the API without TLS.*--tls-cert and --tls-key, or --insecure-listen/,
      );
    }
  });

  test('--insecure-listen lets it start', async () => {
    const server = await startApiServer({
      service: new WorkspaceFakeService(),
      listen: '0.0.0.0:0',
      verifyToken: () => true,
      allowInsecureNonLoopback: true,
      log: () => {},
    });
    assert.ok(server.port > 0);
    assert.equal(server.address, `0.0.0.0:${server.port}`);
    await server.close();
  });

  test('loopback detection and HOST:PORT parsing', () => {
    for (const h of ['127.0.0.1', '127.9.8.7', 'localhost', '::1', '::ffff:127.0.0.1']) assert.equal(isLoopbackHost(h), true, h);
    for (const h of ['0.0.0.0', '::', '10.0.0.1', '128.0.0.1', 'example.com', '127.0.0.256']) assert.equal(isLoopbackHost(h), false, h);
    assert.deepEqual(parseHostPort('[::1]:80'), { host: '::1', port: 80 });
    assert.throws(() => parseHostPort('::1:80'), /\[ADDRESS\]:PORT/);
    assert.throws(() => parseHostPort('host'), /no port/);
    assert.throws(() => parseHostPort(':80'), /no host/);
    assert.throws(() => parseHostPort('h:99999'), /above 65535/);
    assert.throws(() => parseHostPort('h:http'), /invalid port/);
  });

  test('endpoint forms', () => {
    assert.deepEqual(parseEndpoint('127.0.0.1:7420'), { target: '127.0.0.1:7420', tls: false });
    assert.deepEqual(parseEndpoint('https://ctl.example:9000/'), { target: 'ctl.example:9000', tls: true });
    assert.deepEqual(parseEndpoint('http://localhost'), { target: 'localhost:7420', tls: false });
    assert.deepEqual(parseEndpoint('localhost:1', { insecure: true }), { target: 'localhost:1', tls: true });
    assert.deepEqual(parseEndpoint('localhost:1', { caCert: 'x' }), { target: 'localhost:1', tls: true });
    assert.throws(() => parseEndpoint('grpc://x:1'), /unsupported scheme/);
    assert.throws(() => parseEndpoint('https://x:1/api'), /without a path/);
  });

  test('a stopped controller gives an actionable UNAVAILABLE message', async () => {
    const server = await startApiServer({ service: new WorkspaceFakeService(), listen: '127.0.0.1:0', verifyToken: () => true, log: () => {} });
    const endpoint = server.address;
    await server.close();
    const client = createClient({ endpoint, token: TOKEN, timeoutMs: 3000 });
    try {
      await assert.rejects(
        client.listTemplates(),
        new RegExp(`cannot reach the prewarm controller at ${endpoint.replace(/\./g, '\\.')} \\(is it running\\? set --endpoint or PREWARM_ENDPOINT`),
      );
    } finally {
      client.close();
    }
  });

  test('createClient needs a token', () => {
    assert.throws(() => createClient({ endpoint: '127.0.0.1:1', token: '' }), /--token or PREWARM_TOKEN/);
  });
});

/** The shared test PKI (test/helpers/pki.ts) as the buffers these tests pass to servers and clients. */
function pkiBuffers(dir: string): Record<'ca' | 'serverCert' | 'serverKey' | 'clientCert' | 'clientKey' | 'otherCa', Buffer> {
  const pki = makePki(dir);
  return {
    ca: pki.read('ca.pem'),
    serverCert: pki.read('server.pem'),
    serverKey: pki.read('server.key'),
    clientCert: pki.read('client.pem'),
    clientKey: pki.read('client.key'),
    otherCa: pki.read('other-ca.pem'),
  };
}

const skipTls = opensslUnavailable() ?? false;

(skipping(skipTls, 'the TLS tests') ? describe.skip : describe)('TLS', () => {
  let dir: string;
  let pki: ReturnType<typeof pkiBuffers>;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'prewarm-tls-'));
    pki = pkiBuffers(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  describe('server certificate', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi(
        { tls: { certPem: pki.serverCert, keyPem: pki.serverKey }, listen: '127.0.0.1:0' },
        { caCert: pki.ca },
      );
    });
    afterAll(() => api.close());

    test('a client trusting the CA works (also with a path or PEM text for the CA)', async () => {
      await api.client.putTemplate({ name: 't', driver: 'd', config: {} });
      for (const caCert of [join(dir, 'ca.pem'), pki.ca.toString('utf8')]) {
        const client = createClient({ endpoint: `https://${api.endpoint}`, token: TOKEN, caCert });
        try {
          assert.equal((await client.listTemplates()).length, 1);
        } finally {
          client.close();
        }
      }
    });

    test('a client trusting another CA fails verification with a TLS hint', async () => {
      const client = createClient({ endpoint: api.endpoint, token: TOKEN, caCert: pki.otherCa, timeoutMs: 3000 });
      try {
        await assert.rejects(client.listTemplates(), /TLS connection to the prewarm controller at .* failed: .*check --ca-cert/);
      } finally {
        client.close();
      }
    });

    test('--insecure skips verification', async () => {
      const client = createClient({ endpoint: api.endpoint, token: TOKEN, insecure: true });
      try {
        assert.ok(Array.isArray(await client.listTemplates()));
      } finally {
        client.close();
      }
    });

    test('a plaintext client cannot talk to a TLS server', async () => {
      const client = createClient({ endpoint: api.endpoint, token: TOKEN, timeoutMs: 3000 });
      try {
        await assert.rejects(client.listTemplates(), /prewarm controller at/);
      } finally {
        client.close();
      }
    });

    test('TLS lifts the loopback restriction', async () => {
      const server = await startApiServer({
        service: new WorkspaceFakeService(),
        listen: '0.0.0.0:0',
        verifyToken: () => true,
        tls: { certPem: pki.serverCert, keyPem: pki.serverKey },
        log: () => {},
      });
      await server.close();
    });
  });

  describe('client certificates (--tls-client-ca)', () => {
    let api: TestApi;
    beforeAll(async () => {
      api = await startTestApi(
        { tls: { certPem: pki.serverCert, keyPem: pki.serverKey, clientCaPem: pki.ca } },
        { caCert: pki.ca, clientCert: pki.clientCert, clientKey: pki.clientKey },
      );
    });
    afterAll(() => api.close());

    test('a client with a certificate from the CA works', async () => {
      assert.deepEqual(await api.client.listTemplates(), []);
    });

    test('a client without a certificate is turned away', async () => {
      const client = createClient({ endpoint: api.endpoint, token: TOKEN, caCert: pki.ca, timeoutMs: 3000 });
      try {
        await assert.rejects(client.listTemplates(), /requires a client certificate .*--client-cert and --client-key/);
      } finally {
        client.close();
      }
      assert.equal(api.fake.calls.length, 1);
    });
  });
});
