/**
 * ConfigureProvider and what an unconfigured, half-configured or unreachable provider does on plan, refresh, apply,
 * import and data source reads.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { Diagnostic_Severity, type DynamicValue } from '../../../provider/protocol';
import { createProvider } from '../../../provider/rpc-handlers';
import { equalValues, unknown } from '../../../provider/values';
import { apply, assertNoDiags, assertOneError, configure, errors, importState, plan, providerConfig, read, readData, templateObj, types } from '../../helpers/provider-harness';
import { PRIVATE, typeCheck } from './apply-harness';

describe('provider configuration', () => {
  test('unknown endpoint at configure: plan works, refresh keeps state with a warning, apply/import/data fail naming it', async () => {
    const provider = createProvider({ env: { PREWARM_TOKEN: 'x' } });
    try {
      assertNoDiags(await configure(provider.handlers, providerConfig({ endpoint: unknown() })));
      const h = provider.handlers;
      const planned = await plan(h, 'prewarm_template', null, templateObj());
      assertNoDiags(planned.diagnostics);

      const state = templateObj({ id: 'devbox', version: 1 });
      const r = await read(h, 'prewarm_template', state, PRIVATE);
      assert.equal(errors(r.diagnostics).length, 0);
      assert.equal(r.diagnostics.length, 1);
      assert.equal(r.diagnostics[0].severity, Diagnostic_Severity.WARNING);
      assert.ok(equalValues(r.newState, typeCheck(state, types.template), types.template));
      assert.deepEqual(r.private, PRIVATE);

      const a = await apply(h, 'prewarm_template', null, planned.plannedStateDv, templateObj());
      assertOneError(a.diagnostics, { summary: 'provider configuration is not known yet', detail: '"endpoint"', path: null });
      assert.equal(a.newState, null);
      assertOneError((await importState(h, 'prewarm_template', 'devbox')).diagnostics, { summary: 'not known yet', detail: 'must be known', path: null });
      assertOneError((await readData(h, { template: 'devbox', name: 'x', id: null, desired: null, ready: null, starting: null, status: null, backoff_until: null })).diagnostics, {
        summary: 'not known yet',
        path: null,
      });
    } finally {
      provider.close();
    }
  });

  test('environment defaults, missing token, unreadable ca_cert (path on the attribute), bad PREWARM_INSECURE', async () => {
    const fromEnv = createProvider({ env: { PREWARM_TOKEN: 't', PREWARM_ENDPOINT: '127.0.0.1:1' } });
    assertNoDiags(await configure(fromEnv.handlers, providerConfig()));
    fromEnv.close();

    const noToken = createProvider({ env: {} });
    assertOneError(await configure(noToken.handlers, providerConfig()), { summary: 'No API token', detail: 'PREWARM_TOKEN', path: null });
    const res = await apply(noToken.handlers, 'prewarm_template', null, templateObj({ id: 'devbox', version: unknown() }), templateObj());
    assertOneError(res.diagnostics, { summary: 'the provider is not configured', path: null });

    const badCa = createProvider({ env: {} });
    assertOneError(await configure(badCa.handlers, providerConfig({ token: 't', ca_cert: '/nonexistent/ca.pem' })), {
      summary: 'Cannot read the CA certificate',
      detail: 'no such file',
      path: 'ca_cert',
    });
    const badEnv = createProvider({ env: { PREWARM_TOKEN: 't', PREWARM_INSECURE: 'maybe' } });
    assertOneError(await configure(badEnv.handlers, providerConfig()), { summary: 'Invalid PREWARM_INSECURE', path: null });
  });

  test('an unreachable controller → an error saying so, not a crash', async () => {
    const provider = createProvider({ env: {}, timeoutMs: 2000 });
    try {
      assertNoDiags(await configure(provider.handlers, providerConfig({ endpoint: '127.0.0.1:1', token: 't' })));
      const planned = await plan(provider.handlers, 'prewarm_template', null, templateObj());
      const res = await apply(provider.handlers, 'prewarm_template', null, planned.plannedStateDv as DynamicValue, templateObj());
      assertOneError(res.diagnostics, { summary: 'Cannot create template devbox', detail: /cannot reach the prewarm controller|deadline/i, path: null });
      assert.equal(res.newState, null);
    } finally {
      provider.close();
    }
  });
});
