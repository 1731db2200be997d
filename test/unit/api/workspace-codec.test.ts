import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { fromBinary, toBinary } from '@bufbuild/protobuf';
import * as pb from '../../../controller/api/gen/prewarm/v1/prewarm_pb';
import { templateSpecFromProto, templateSpecToProto } from '../../../controller/api/codec-specs';
import { templateFromProto, templateToProto } from '../../../controller/api/codec-records';
import {
  workspaceExplainFromProto,
  workspaceExplainToProto,
  workspaceFromProto,
  workspaceToProto,
} from '../../../controller/api/codec-workspaces';
import { FieldIssues } from '../../../controller/api/field-issues';
import { NO_LIFECYCLE_POLICY } from '../../../controller/domain/lifecycle-policy';
import type { TemplateRecord } from '../../../controller/domain/records';
import type { TemplateSpec } from '../../../controller/domain/specs';
import type { WorkspaceExplainReport } from '../../../controller/api/service';
import { DESTROY_REASONS } from '../../../controller/domain/workspace';
import { HOUR, WS_NOW, fullWorkspace } from '../../helpers/workspace-fake';

/** Through the bytes too: what the codec produces must survive the wire, not just the in-memory message. */
function viaWire<T extends pb.Workspace | pb.TemplateSpec | pb.ExplainWorkspaceResponse>(schema: Parameters<typeof toBinary>[0], msg: T): T {
  return fromBinary(schema, toBinary(schema, msg)) as T;
}

describe('template lifecycle_policy on the wire', () => {
  const spec: TemplateSpec = {
    name: 'devbox',
    driver: 'devbox',
    config: {},
    lifecycle_policy: {
      autostop_after: '8h',
      autostop_reminder: '30m',
      stopped_ttl: '7d',
      dormant_after: '3d',
      dormant_delete_after: '30d',
      auto_destroy_reminder: '1h',
    },
  };

  test('every attribute both ways, as written (the service validates)', () => {
    const issues = new FieldIssues();
    assert.deepEqual(templateSpecFromProto(viaWire(pb.TemplateSpecSchema, templateSpecToProto(spec)), issues), spec);
    const odd = { ...spec, lifecycle_policy: { autostop_after: '90', stopped_ttl: '' } };
    assert.deepEqual(templateSpecFromProto(viaWire(pb.TemplateSpecSchema, templateSpecToProto(odd)), issues), odd);
    assert.deepEqual(issues.errors, []);
  });

  test('absent stays absent, an empty block stays an empty block, a partial one keeps only its attributes', () => {
    const issues = new FieldIssues();
    const bare: TemplateSpec = { name: 'devbox', driver: 'devbox', config: {} };
    const back = templateSpecFromProto(viaWire(pb.TemplateSpecSchema, templateSpecToProto(bare)), issues);
    assert.deepEqual(back, bare);
    assert.equal('lifecycle_policy' in back, false);
    assert.deepEqual(templateSpecFromProto(templateSpecToProto({ ...bare, lifecycle_policy: {} }), issues), { ...bare, lifecycle_policy: {} });
    const partial = { ...bare, lifecycle_policy: { dormant_after: '14d' } };
    assert.deepEqual(templateSpecFromProto(templateSpecToProto(partial), issues), partial);
  });

  test('template records carry the policy too', () => {
    const record: TemplateRecord = { ...spec, id: 'devbox', version: 2, createdAt: WS_NOW, updatedAt: WS_NOW + 1 };
    assert.deepEqual(templateFromProto(templateToProto(record)), record);
    const { lifecycle_policy: _, ...without } = record;
    assert.deepEqual(templateFromProto(templateToProto(without)), without);
  });
});

describe('workspace records on the wire', () => {
  test('every field set, none at its default', () => {
    const w = fullWorkspace();
    assert.deepEqual(workspaceFromProto(viaWire(pb.WorkspaceSchema, workspaceToProto(w))), w);
  });

  test('every optional field null, and no policy', () => {
    const w = fullWorkspace({
      readyAt: null,
      claimedAt: null,
      dormantAt: null,
      deadline: null,
      lastUsedAt: null,
      stoppedAt: null,
      autoDestroyAt: null,
      autoDestroyInactivityMs: null,
      policy: NO_LIFECYCLE_POLICY,
      destroyReason: null,
      archivedAt: null,
      nextAttemptAt: null,
      deleteAttempts: 0,
      attributes: {},
    });
    assert.deepEqual(workspaceFromProto(viaWire(pb.WorkspaceSchema, workspaceToProto(w))), w);
  });

  test('each destroy reason and each workspace state survives', () => {
    for (const destroyReason of DESTROY_REASONS) {
      assert.equal(workspaceFromProto(workspaceToProto(fullWorkspace({ destroyReason }))).destroyReason, destroyReason);
    }
    for (const state of ['pending', 'starting', 'claimed', 'stopping', 'stopped', 'deleting', 'failed', 'archived'] as const) {
      assert.equal(workspaceFromProto(workspaceToProto(fullWorkspace({ state }))).state, state);
    }
  });

  test('what the client cannot trust is refused, not passed on', () => {
    const msg = workspaceToProto(fullWorkspace());
    msg.destroyReason = 'gremlins';
    assert.throws(() => workspaceFromProto(msg), /unknown destroy reason "gremlins"/);
    const poolOne = workspaceToProto(fullWorkspace());
    poolOne.instance!.owner = undefined;
    assert.throws(() => workspaceFromProto(poolOne), /without an owner/);
    assert.throws(() => workspaceFromProto(undefined), /empty workspace/);
    assert.throws(() => workspaceToProto(fullWorkspace({ deadline: 1.5 })), /deadline/);
  });
});

describe('workspace explain on the wire', () => {
  const report: WorkspaceExplainReport = {
    workspace: fullWorkspace(),
    outlook: {
      at: WS_NOW,
      next: { rule: 'auto_destroy_inactivity', action: 'delete', at: WS_NOW - 1, detail: 'no activity for 8h since 2026-03-07T23:29:59.999Z' },
      rules: [
        { rule: 'auto_destroy_at', action: 'delete', at: WS_NOW + 24 * HOUR, detail: 'auto_destroy_at' },
        { rule: 'auto_destroy_inactivity', action: 'delete', at: WS_NOW - 1, detail: 'no activity for 8h' },
        { rule: 'stopped_ttl', action: 'delete', at: null, detail: 'not stopped' },
        { rule: 'dormancy', action: 'mark_dormant', at: WS_NOW + HOUR, detail: 'dormant_after 3d' },
        { rule: 'autostop_reminder', action: 'notify', at: WS_NOW + 7 * HOUR, detail: '30m before the deadline' },
      ],
    },
  };

  test('the outlook round-trips, with and without a next transition', () => {
    assert.deepEqual(workspaceExplainFromProto(viaWire(pb.ExplainWorkspaceResponseSchema, workspaceExplainToProto(report))), report);
    const quiet = { ...report, outlook: { ...report.outlook, next: null, rules: [] } };
    assert.deepEqual(workspaceExplainFromProto(workspaceExplainToProto(quiet)), quiet);
  });

  test('an unknown rule or action is a version skew, said so', () => {
    const msg = workspaceExplainToProto(report);
    msg.rules[0].rule = 'full_moon';
    assert.throws(() => workspaceExplainFromProto(msg), /unknown lifecycle rule "full_moon"/);
    const msg2 = workspaceExplainToProto(report);
    msg2.next!.action = 'explode';
    assert.throws(() => workspaceExplainFromProto(msg2), /unknown lifecycle action "explode"/);
  });
});
