/** UpgradeResourceState: stored v0 JSON state → msgpack of the current type. */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { create } from '@bufbuild/protobuf';
import { RawStateSchema, UpgradeResourceState_RequestSchema, type DynamicValue } from '../../../provider/protocol';
import { RESOURCE_SCHEMAS } from '../../../provider/schema';
import { upgradeState } from '../../../provider/upgrade';
import { createProviderHandlers } from '../../../provider/rpc-handlers';
import { CtyNumber, decodeDynamic } from '../../../provider/values';
import { checkReadResult } from '../../helpers/plan-rules';
import { assertNoDiags, assertOneError, ctx, jsonBlocks, typeOf } from '../../helpers/provider-harness';

const h = createProviderHandlers({ env: {} });

async function upgrade(typeName: string, json: string | null, version = 0n, flatmap: Record<string, string> = {}) {
  const res = await h.upgradeResourceState!(
    create(UpgradeResourceState_RequestSchema, {
      typeName,
      version,
      rawState: { json: json === null ? new Uint8Array() : new TextEncoder().encode(json), flatmap },
    }),
    ctx(),
  );
  const dv = res.upgradedState as DynamicValue | undefined;
  return {
    state: dv === undefined ? undefined : decodeDynamic(dv.msgpack, typeOf(typeName)),
    bytes: dv?.msgpack,
    diagnostics: (res.diagnostics ?? []) as Parameters<typeof assertNoDiags>[0],
  };
}

describe('UpgradeResourceState', () => {
  test('a v0 preset state missing attributes and blocks: nulls and empty block lists', async () => {
    const r = await upgrade('prewarm_preset', JSON.stringify({ id: 'devbox/us-nix', template: 'devbox', name: 'us-nix', prebuilds: [{ instances: 2 }] }));
    assertNoDiags(r.diagnostics);
    assert.deepEqual(checkReadResult(jsonBlocks.preset, r.state ?? null, false), []);
    const s = r.state as Record<string, unknown>;
    assert.equal(s.description, null);
    assert.equal(s.default, null);
    assert.equal(s.parameters, null);
    const pb = (s.prebuilds as Array<Record<string, unknown>>)[0];
    assert.ok((pb.instances as CtyNumber).equals(CtyNumber.from(2)));
    assert.deepEqual(pb.expiration_policy, []);
    assert.deepEqual(pb.scheduling, []);

    const none = await upgrade('prewarm_preset', JSON.stringify({ id: 'a/b', template: 'a', name: 'b' }));
    assert.deepEqual((none.state as Record<string, unknown>).prebuilds, []);
    const nulls = await upgrade('prewarm_preset', JSON.stringify({ id: 'a/b', template: 'a', name: 'b', prebuilds: null }));
    assert.deepEqual((nulls.state as Record<string, unknown>).prebuilds, []);
  });

  test('20-digit numbers survive exactly (beyond uint64: written back as decimal text)', async () => {
    for (const digits of ['12345678901234567890', '98765432109876543210']) {
      const r = await upgrade('prewarm_template', `{"id":"devbox","name":"devbox","driver":"devbox","config":{"a":"1"},"version":${digits}}`);
      assertNoDiags(r.diagnostics);
      const version = (r.state as Record<string, unknown>).version as CtyNumber;
      assert.equal(version.toString(), digits);
      assert.ok(version.equals(CtyNumber.parse(digits)));
    }
    // Beyond uint64 the msgpack value is the str "98765432109876543210" (b4 = fixstr of 20 bytes).
    const r = await upgrade('prewarm_template', '{"id":"devbox","name":"devbox","driver":"devbox","config":null,"version":98765432109876543210}');
    assert.ok(Buffer.from(r.bytes!).includes(Buffer.concat([Buffer.from([0xb4]), Buffer.from('98765432109876543210')])));
  });

  test('a nested scheduling state round-trips', async () => {
    const state = {
      id: 'devbox/us-nix',
      template: 'devbox',
      name: 'us-nix',
      description: 'd',
      default: true,
      parameters: { region: 'us' },
      prebuilds: [
        {
          instances: 0,
          expiration_policy: [{ ttl: 86400 }],
          scheduling: [{ timezone: 'UTC', lead_time: '30m', schedule: [{ cron: '* 8 * * *', instances: 3 }] }],
        },
      ],
    };
    const r = await upgrade('prewarm_preset', JSON.stringify(state));
    assertNoDiags(r.diagnostics);
    assert.deepEqual(checkReadResult(jsonBlocks.preset, r.state ?? null, false), []);
  });

  test('attributes the schema does not have are dropped', async () => {
    const r = await upgrade('prewarm_template', JSON.stringify({ id: 'x', name: 'x', driver: 'd', config: null, version: 1, legacy: true }));
    assertNoDiags(r.diagnostics);
    assert.ok(!('legacy' in (r.state as object)));
  });

  test('dropped attributes are reported by their full path, however deep', () => {
    const state = {
      id: 'devbox/us-nix',
      template: 'devbox',
      name: 'us-nix',
      stray: 1,
      prebuilds: [
        { instances: 0, scheduling: [{ timezone: 'UTC', schedule: [{ cron: '* 8 * * *', instances: 3 }, { cron: '* 9 * * *', instances: 1, old: 'x' }] }] },
      ],
    };
    const raw = create(RawStateSchema, { json: new TextEncoder().encode(JSON.stringify(state)) });
    const { dropped } = upgradeState(raw, 0n, RESOURCE_SCHEMAS.prewarm_preset, 'prewarm_preset');
    assert.deepEqual(dropped, ['stray', 'prebuilds[0].scheduling[0].schedule[1].old']);
  });

  test('a newer schema version, a flatmap state, broken JSON and unknown types are diagnostics', async () => {
    assertOneError((await upgrade('prewarm_template', '{}', 1n)).diagnostics, { summary: 'Unsupported state version', detail: 'newer', path: null });
    assertOneError((await upgrade('prewarm_template', null, 0n, { id: 'x' })).diagnostics, { summary: 'Unsupported state format', detail: 'flatmap', path: null });
    assertOneError((await upgrade('prewarm_template', '{"id":')).diagnostics, { summary: 'Invalid prewarm_template state', path: null });
    assertOneError((await upgrade('prewarm_template', '{"version":"abc"}')).diagnostics, { summary: 'Invalid prewarm_template state', path: 'version' });
    assertOneError((await upgrade('prewarm_nothing', '{}')).diagnostics, { summary: 'Unknown resource type', path: null });
  });
});
