/**
 * provider/config.ts: client_cert and client_key (mutual TLS) resolved from the provider block and the environment,
 * checked at ValidateProviderConfig (inline PEM) and ConfigureProvider (paths, PREWARM_* variables, both or
 * neither, the key belonging to the certificate), each problem naming the attribute or variable it came from and
 * pointing at the attribute when it came from the provider block. Real certificates, made with openssl.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveProviderConfig, validateProviderConfig, type Env } from '../../../provider/config';
import { unknown, type CtyObject } from '../../../provider/values';
import { assertNoDiags, assertOneError, describeDiags } from '../../helpers/provider-harness';
import { makePki, opensslUnavailable, type Pki } from '../../helpers/pki';
import { skipping } from '../../helpers/skip';
import type { Diagnostic } from '../../../provider/diagnostics';

const skip = opensslUnavailable();

/** A provider block with every attribute null, then `o` (values as CtyObject, unknowns allowed). */
function block(o: CtyObject = {}): CtyObject {
  return { endpoint: null, token: 't', ca_cert: null, client_cert: null, client_key: null, insecure: null, ...o };
}

(skipping(skip, 'the provider mTLS configuration tests') ? describe.skip : describe)('client_cert and client_key', () => {
  let dir: string;
  let pki: Pki;
  let keyText: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'prewarm-provider-config-'));
    pki = makePki(dir);
    keyText = pki.read('client.key').toString('utf8');
    writeFileSync(pki.path('garbage.pem'), '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
    writeFileSync(pki.path('not-pem.txt'), 'hello\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const resolve = (config: CtyObject, env: Env = {}) => resolveProviderConfig(config, env);
  /** No diagnostic may quote the private key, whatever went wrong. */
  const noKeyMaterial = (diags: readonly Diagnostic[]) => {
    const body = keyText.split('\n')[1];
    for (const d of diags) assert.ok(!d.detail.includes(body) && !d.summary.includes(body), `key material in ${describeDiags([d])}`);
  };

  describe('resolution', () => {
    test('paths in the provider block: both read, TLS implied', () => {
      const { resolved, diags } = resolve(block({ client_cert: pki.path('client.pem'), client_key: pki.path('client.key'), ca_cert: pki.path('ca.pem') }));
      assertNoDiags(diags);
      assert.deepEqual(resolved.clientCert, pki.read('client.pem'));
      assert.deepEqual(resolved.clientKey, pki.read('client.key'));
      assert.equal(resolved.sources.client_cert, 'config');
    });

    test('PEM text in the provider block', () => {
      const { resolved, diags } = resolve(block({ client_cert: pki.read('client.pem').toString('utf8'), client_key: keyText }));
      assertNoDiags(diags);
      assert.equal(resolved.clientCert?.toString('utf8'), pki.read('client.pem').toString('utf8'));
      assert.equal(resolved.clientKey?.toString('utf8'), keyText);
    });

    test('environment fallbacks PREWARM_CLIENT_CERT and PREWARM_CLIENT_KEY, as paths and as PEM text', () => {
      for (const env of [
        { PREWARM_CLIENT_CERT: pki.path('client.pem'), PREWARM_CLIENT_KEY: pki.path('client.key') },
        { PREWARM_CLIENT_CERT: pki.read('client.pem').toString('utf8'), PREWARM_CLIENT_KEY: keyText },
      ]) {
        const { resolved, diags } = resolve(block(), env);
        assertNoDiags(diags);
        assert.deepEqual(resolved.clientCert, pki.read('client.pem'));
        assert.deepEqual(resolved.clientKey, pki.read('client.key'));
        assert.equal(resolved.sources.client_cert, 'env');
      }
    });

    test('the provider block wins over the environment, attribute by attribute', () => {
      const env = { PREWARM_CLIENT_CERT: pki.path('rogue.pem'), PREWARM_CLIENT_KEY: pki.path('client.key') };
      const { resolved, diags } = resolve(block({ client_cert: pki.path('client.pem') }), env);
      assertNoDiags(diags);
      assert.deepEqual(resolved.clientCert, pki.read('client.pem'), 'client_cert from the block, not PREWARM_CLIENT_CERT');
      assert.deepEqual(resolved.clientKey, pki.read('client.key'), 'client_key from PREWARM_CLIENT_KEY');
    });

    test('neither: no client certificate', () => {
      const { resolved, diags } = resolve(block());
      assertNoDiags(diags);
      assert.equal(resolved.clientCert, undefined);
      assert.equal(resolved.clientKey, undefined);
    });
  });

  describe('both or neither', () => {
    test('client_cert alone in the block: error on client_cert, naming client_key and PREWARM_CLIENT_KEY', () => {
      const { diags } = resolve(block({ client_cert: pki.path('client.pem') }));
      assertOneError(diags, { summary: 'Missing client_key', detail: /client_cert is set but client_key is not.*PREWARM_CLIENT_KEY.*remove client_cert/, path: 'client_cert' });
    });

    test('client_key alone in the block: error on client_key', () => {
      const { diags } = resolve(block({ client_key: pki.path('client.key') }));
      assertOneError(diags, { summary: 'Missing client_cert', detail: /client_key is set but client_cert is not.*PREWARM_CLIENT_CERT/, path: 'client_key' });
    });

    test('PREWARM_CLIENT_CERT alone: error naming the variable, no attribute path', () => {
      const { diags } = resolve(block(), { PREWARM_CLIENT_CERT: pki.path('client.pem') });
      assertOneError(diags, { summary: 'Missing client_key', detail: /PREWARM_CLIENT_CERT is set but client_key is not.*unset PREWARM_CLIENT_CERT/, path: null });
    });

    test('PREWARM_CLIENT_KEY alone: error naming the variable', () => {
      const { diags } = resolve(block(), { PREWARM_CLIENT_KEY: pki.path('client.key') });
      assertOneError(diags, { summary: 'Missing client_cert', detail: 'PREWARM_CLIENT_KEY is set', path: null });
    });

    test('ValidateProviderConfig accepts client_cert alone (the key may come from the environment)', () => {
      assertNoDiags(validateProviderConfig(block({ client_cert: pki.path('client.pem') })));
    });
  });

  describe('unreadable or wrong PEM names the attribute', () => {
    test('a missing client_cert file: the path, on the attribute', () => {
      const { diags } = resolve(block({ client_cert: '/nonexistent/client.pem', client_key: pki.path('client.key') }));
      assertOneError(diags, { summary: 'Cannot read the client certificate', detail: 'client_cert: cannot read /nonexistent/client.pem: no such file', path: 'client_cert' });
    });

    test('a missing client_key file: on the attribute, without repeating the (sensitive) value', () => {
      const { diags } = resolve(block({ client_cert: pki.path('client.pem'), client_key: '/nonexistent/client.key' }));
      const d = assertOneError(diags, { summary: 'Cannot read the client key', detail: 'client_key: cannot read the file it names: no such file', path: 'client_key' });
      assert.ok(!d.detail.includes('/nonexistent/client.key'));
    });

    test('a key pasted without its BEGIN line is treated as a path and never echoed', () => {
      const body = keyText.split('\n').slice(1, -2).join('\n');
      const { diags } = resolve(block({ client_cert: pki.path('client.pem'), client_key: body }));
      assertOneError(diags, { summary: 'Cannot read the client key', path: 'client_key' });
      noKeyMaterial(diags);
      assert.ok(!diags[0].detail.includes(body.slice(0, 20)));
    });

    test('a missing file from PREWARM_CLIENT_CERT / PREWARM_CLIENT_KEY names the variable, no attribute path', () => {
      let { diags } = resolve(block(), { PREWARM_CLIENT_CERT: '/nonexistent/c.pem', PREWARM_CLIENT_KEY: pki.path('client.key') });
      assertOneError(diags, { summary: 'Cannot read the client certificate', detail: 'PREWARM_CLIENT_CERT: cannot read /nonexistent/c.pem', path: null });
      ({ diags } = resolve(block(), { PREWARM_CLIENT_CERT: pki.path('client.pem'), PREWARM_CLIENT_KEY: '/nonexistent/c.key' }));
      assertOneError(diags, { summary: 'Cannot read the client key', detail: 'PREWARM_CLIENT_KEY: cannot read', path: null });
    });

    test('a file that is not PEM, a certificate that does not parse, key and certificate swapped', () => {
      const key = pki.path('client.key');
      assertOneError(resolve(block({ client_cert: pki.path('not-pem.txt'), client_key: key })).diags, {
        summary: 'Invalid client_cert',
        detail: `client_cert: the file ${pki.path('not-pem.txt')} holds no PEM certificate`,
        path: 'client_cert',
      });
      assertOneError(resolve(block({ client_cert: pki.path('garbage.pem'), client_key: key })).diags, {
        summary: 'Invalid client_cert',
        detail: 'is not a valid certificate',
        path: 'client_cert',
      });
      const swapped = resolve(block({ client_cert: key, client_key: pki.path('client.pem') })).diags;
      assert.equal(swapped.length, 2, describeDiags(swapped));
      assertOneError([swapped[0]], { summary: 'Invalid client_cert', detail: 'holds a private key, not a certificate (the key belongs in client_key)', path: 'client_cert' });
      assertOneError([swapped[1]], { summary: 'Invalid client_key', detail: 'holds a certificate, not a private key', path: 'client_key' });
      noKeyMaterial(swapped);
    });

    test('an encrypted key is refused with what to do', () => {
      const { diags } = resolve(block({ client_cert: pki.path('client.pem'), client_key: pki.path('client-enc.key') }));
      assertOneError(diags, { summary: 'Invalid client_key', detail: /client_key: the file client_key names is an encrypted private key.*unencrypted/, path: 'client_key' });
    });

    test('a key that does not belong to the certificate, on client_key, describing the certificate', () => {
      const { diags } = resolve(block({ client_cert: pki.path('client.pem'), client_key: pki.path('rogue.key') }));
      assertOneError(diags, {
        summary: 'Client key does not match the client certificate',
        detail: /client_key: the private key does not belong to the certificate of client_cert \(subject "CN=terraform", issued by "CN=prewarm test ca"/,
        path: 'client_key',
      });
      noKeyMaterial(diags);
    });

    test('a mismatch from the environment names both variables', () => {
      const { diags } = resolve(block(), { PREWARM_CLIENT_CERT: pki.path('client.pem'), PREWARM_CLIENT_KEY: pki.path('rogue.key') });
      assertOneError(diags, { summary: 'Client key does not match', detail: /PREWARM_CLIENT_KEY: .* certificate of PREWARM_CLIENT_CERT/, path: null });
    });

    test('empty strings are rejected at ValidateProviderConfig, on the attribute', () => {
      const diags = validateProviderConfig(block({ client_cert: '', client_key: '' }));
      assert.equal(diags.length, 2, describeDiags(diags));
      assertOneError([diags[0]], { summary: 'Invalid client_cert', detail: 'must be PEM text or the path of a PEM file, not empty', path: 'client_cert' });
      assertOneError([diags[1]], { summary: 'Invalid client_key', path: 'client_key' });
      // An empty client_cert is that one error, not also "Missing client_key".
      assertOneError(resolve(block({ client_cert: '' })).diags, { summary: 'Invalid client_cert', path: 'client_cert' });
    });

    test('inline PEM is checked already at ValidateProviderConfig (terraform validate), once at ConfigureProvider', () => {
      const config = block({ client_cert: pki.read('client.pem').toString('utf8'), client_key: pki.read('rogue.key').toString('utf8') });
      assertOneError(validateProviderConfig(config), { summary: 'Client key does not match', detail: 'client_key: the private key', path: 'client_key' });
      assertOneError(resolve(config).diags, { summary: 'Client key does not match', path: 'client_key' });
      const notACert = block({ client_cert: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n' });
      assertOneError(validateProviderConfig(notACert), { summary: 'Invalid client_cert', detail: 'client_cert: the PEM text is not a valid certificate', path: 'client_cert' });
    });
  });

  describe('with the other settings', () => {
    test('an http:// endpoint with a client certificate is a contradiction, on endpoint', () => {
      const { diags } = resolve(block({ endpoint: 'http://127.0.0.1:7420', client_cert: pki.path('client.pem'), client_key: pki.path('client.key') }));
      assertOneError(diags, { summary: 'Invalid endpoint', detail: /endpoint: .*says http:\/\/ but TLS options/, path: 'endpoint' });
    });

    test('unknown client_cert or client_key defers, like the other attributes', () => {
      const cases: Array<[CtyObject, string]> = [
        [{ client_cert: unknown(), client_key: pki.path('client.key') }, 'client_cert'],
        [{ client_cert: pki.path('client.pem'), client_key: unknown() }, 'client_key'],
      ];
      for (const [over, which] of cases) {
        const { resolved, diags } = resolve(block(over));
        assertNoDiags(diags);
        expect(resolved.unknown).toEqual([which]);
      }
      assertNoDiags(validateProviderConfig(block({ client_cert: unknown(), client_key: unknown() })));
    });
  });
});
