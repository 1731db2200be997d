/**
 * provider/controller-errors.ts through the provider's RPC handlers, against real gRPC servers (plaintext, TLS, and
 * TLS requiring client certificates): every transport and authentication failure reaches Terraform as a
 * diagnostic that names provider attributes and PREWARM_* variables, never a prewarm CLI flag, and a client
 * certificate the controller refuses is reported as such (not as "is it running?").
 */
import { afterAll, beforeAll, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startApiServer, type ApiServer } from '../../../controller/api/grpc-server';
import type { Env } from '../../../provider/config';
import { terraformPhrasing } from '../../../provider/controller-errors';
import type { DynamicValue } from '../../../provider/protocol';
import { createProvider } from '../../../provider/rpc-handlers';
import type { EncodableValue } from '../../../provider/values';
import { TOKEN } from '../../helpers/api-fake';
import { WorkspaceFakeService as FakeService } from '../../helpers/workspace-fake';
import { makePki, opensslUnavailable, type Pki } from '../../helpers/pki';
import { apply, assertNoDiags, assertOneError, configure, plan, providerConfig, templateObj } from '../../helpers/provider-harness';
import { skipping } from '../../helpers/skip';

/** Any prewarm CLI client flag (the controller's own --tls-client-ca and --rotate-token are fine to mention). */
const CLI_FLAG = /--(endpoint|token|ca-cert|insecure|client-cert|client-key|timeout)\b/;

/** Configures a provider, plans and applies a template: the apply's one error diagnostic. */
async function applyError(config: Record<string, EncodableValue>, env: Env = {}) {
  const provider = createProvider({ env, timeoutMs: 4000 });
  try {
    assertNoDiags(await configure(provider.handlers, providerConfig(config)));
    const planned = await plan(provider.handlers, 'prewarm_template', null, templateObj());
    assertNoDiags(planned.diagnostics);
    const res = await apply(provider.handlers, 'prewarm_template', null, planned.plannedStateDv as DynamicValue, templateObj());
    assert.equal(res.newState, null);
    const d = assertOneError(res.diagnostics, { summary: 'Cannot create template devbox', path: null });
    assert.doesNotMatch(d.detail, CLI_FLAG, 'a diagnostic for Terraform names no CLI flag');
    return d;
  } finally {
    provider.close();
  }
}

describe('without TLS', () => {
  let stopped: string;
  let api: ApiServer;
  beforeAll(async () => {
    const s = await startApiServer({ service: new FakeService(), listen: '127.0.0.1:0', verifyToken: () => true, log: () => {} });
    stopped = s.address;
    await s.close();
    api = await startApiServer({ service: new FakeService(), listen: '127.0.0.1:0', verifyToken: (t) => t === TOKEN, log: () => {} });
  });
  afterAll(() => api.close(100));

  test('unreachable, endpoint from the provider block: names the endpoint attribute and how to use TLS', async () => {
    const d = await applyError({ endpoint: stopped, token: TOKEN });
    assert.match(d.detail, new RegExp(`^cannot reach the prewarm controller at ${stopped.replace(/\./g, '\\.')}: .*ECONNREFUSED`));
    assert.match(d.detail, /the provider's endpoint attribute/);
    assert.match(d.detail, /https:\/\/HOST:PORT or set ca_cert \(or PREWARM_CA_CERT\)/);
  });

  test('unreachable, endpoint from PREWARM_ENDPOINT: names the variable', async () => {
    const d = await applyError({ token: TOKEN }, { PREWARM_ENDPOINT: stopped });
    assert.match(d.detail, /cannot reach the prewarm controller .*PREWARM_ENDPOINT \(the provider block sets no endpoint\)/);
  });

  test('a wrong token: names the token attribute, or PREWARM_TOKEN when it came from there', async () => {
    let d = await applyError({ endpoint: api.address, token: 'pwt_wrong' });
    assert.match(d.detail, /rejected the API token: .*The token is the provider's token attribute/);
    d = await applyError({ endpoint: api.address }, { PREWARM_TOKEN: 'pwt_wrong' });
    assert.match(d.detail, /rejected the API token: .*The token comes from PREWARM_TOKEN/);
  });
});

const skipTls = opensslUnavailable();

(skipping(skipTls, 'the provider TLS error tests') ? describe.skip : describe)('with TLS', () => {
  let dir: string;
  let pki: Pki;
  let mtls: ApiServer;
  let serverOnly: ApiServer;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'prewarm-provider-tls-'));
    pki = makePki(dir);
    const tls = { certPem: pki.read('server.pem'), keyPem: pki.read('server.key') };
    mtls = await startApiServer({ service: new FakeService(), listen: '127.0.0.1:0', verifyToken: (t) => t === TOKEN, log: () => {}, tls: { ...tls, clientCaPem: pki.read('ca.pem') } });
    serverOnly = await startApiServer({ service: new FakeService(), listen: '127.0.0.1:0', verifyToken: (t) => t === TOKEN, log: () => {}, tls });
  });
  afterAll(async () => {
    await mtls?.close(100);
    await serverOnly?.close(100);
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsConfig = (over: Record<string, EncodableValue> = {}) => ({
    endpoint: `https://${mtls.address}`,
    token: TOKEN,
    ca_cert: pki.path('ca.pem'),
    ...over,
  });

  test('the right client certificate works', async () => {
    const provider = createProvider({ env: {}, timeoutMs: 4000 });
    try {
      assertNoDiags(await configure(provider.handlers, providerConfig(tlsConfig({ client_cert: pki.path('client.pem'), client_key: pki.path('client.key') }))));
      const planned = await plan(provider.handlers, 'prewarm_template', null, templateObj());
      const res = await apply(provider.handlers, 'prewarm_template', null, planned.plannedStateDv as DynamicValue, templateObj());
      assertNoDiags(res.diagnostics);
    } finally {
      provider.close();
    }
  });

  test('no client certificate: says the controller requires one and which attributes and variables to set', async () => {
    const d = await applyError(tlsConfig());
    assert.match(d.detail, /requires a client certificate \(.*certificate required\)/);
    assert.match(d.detail, /Set client_cert and client_key in the provider block, or the PREWARM_CLIENT_CERT and PREWARM_CLIENT_KEY environment variables/);
  });

  test('a certificate from another CA: refused, naming the certificate, not "is it running?"', async () => {
    const d = await applyError(tlsConfig({ client_cert: pki.path('rogue.pem'), client_key: pki.path('rogue.key') }));
    assert.match(d.detail, /did not accept the client certificate of client_cert \(subject "CN=rogue-client", issued by "CN=prewarm test other-ca", valid /);
    assert.match(d.detail, /closed the connection right after the TLS handshake/);
    assert.match(d.detail, /signed by that CA/);
    assert.doesNotMatch(d.detail, /is it running/i);
  });

  test('the same from PREWARM_CLIENT_CERT / PREWARM_CLIENT_KEY names the variable', async () => {
    const d = await applyError(tlsConfig(), { PREWARM_CLIENT_CERT: pki.path('rogue.pem'), PREWARM_CLIENT_KEY: pki.path('rogue.key') });
    assert.match(d.detail, /did not accept the client certificate of PREWARM_CLIENT_CERT \(subject "CN=rogue-client"/);
  });

  test('a server certificate the provider does not trust: names ca_cert, with a client certificate configured too', async () => {
    const d = await applyError(tlsConfig({ ca_cert: pki.path('other-ca.pem'), client_cert: pki.path('client.pem'), client_key: pki.path('client.key') }));
    assert.match(d.detail, /^TLS connection to the prewarm controller at .* failed: .*Check ca_cert: it must be the CA certificate that signed the controller's certificate/);
    assert.match(d.detail, /insecure = true \(or PREWARM_INSECURE=true\)/);
  });

  test('no ca_cert at all: says the system CAs were used', async () => {
    const d = await applyError({ endpoint: `https://${serverOnly.address}`, token: TOKEN });
    assert.match(d.detail, /No ca_cert is set, so the controller's certificate was checked against the system's CAs/);
  });

  test('a stopped controller with a client certificate configured is still "cannot reach"', async () => {
    const s = await startApiServer({ service: new FakeService(), listen: '127.0.0.1:0', verifyToken: () => true, log: () => {} });
    const address = s.address;
    await s.close();
    const d = await applyError(tlsConfig({ endpoint: `https://${address}`, client_cert: pki.path('client.pem'), client_key: pki.path('client.key') }));
    assert.match(d.detail, /^cannot reach the prewarm controller at https:\/\/127\.0\.0\.1:\d+: .*ECONNREFUSED.*the provider's endpoint attribute\?$/);
  });
});

test('terraformPhrasing: client flags become attributes; controller flags and words with dashes stay', () => {
  assert.equal(
    terraformPhrasing('set --endpoint or PREWARM_ENDPOINT; pass --client-cert and --client-key; check --ca-cert; --insecure; --token'),
    'set endpoint or PREWARM_ENDPOINT; pass client_cert and client_key; check ca_cert; insecure; token',
  );
  assert.equal(terraformPhrasing('prewarm controller --rotate-token; --tls-client-ca; --endpointx'), 'prewarm controller --rotate-token; --tls-client-ca; --endpointx');
});
