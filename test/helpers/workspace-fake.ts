/**
 * FakeService (api-fake.ts) with workspaces, on top of the notification targets of notify-fake.ts: claims return
 * WorkspaceRecords, and the workspace methods follow the design's rules closely enough for wire and CLI tests
 * (idempotent ops, archived → FAILED_PRECONDITION, a pool instance → FAILED_PRECONDITION, an instant in the past →
 * INVALID_ARGUMENT on auto_destroy_at). No lifecycle runs.
 */
import { ConflictError, NotFoundError, ValidationError } from '../../controller/domain/errors';
import { parseInstant } from '../../controller/domain/instant';
import { parseLifecycleDuration } from '../../controller/domain/lifecycle-duration';
import { NO_LIFECYCLE_POLICY, type LifecyclePolicy } from '../../controller/domain/lifecycle-policy';
import type { InstanceRecord } from '../../controller/domain/records';
import type { WorkspaceFilter, WorkspaceOp, WorkspaceOutlook, WorkspaceRecord } from '../../controller/domain/workspace';
import type { ClaimRequest, WorkspaceExplainReport, WorkspaceSettings } from '../../controller/api/service';
import { startApiServer, type ApiServerOptions } from '../../controller/api/grpc-server';
import { createClient, type ClientOptions } from '../../controller/api/client';
import type { TestApi } from './api-fake';
import { TOKEN } from './pool-fake';
import { NotifyFakeService } from './notify-fake';
import type { PrewarmService } from '../../controller/api/service';

/** 2026-03-08T07:30:00Z: a realistic clock for workspace tests (set fake.now to it), so instants print as RFC 3339. */
export const WS_NOW = Date.UTC(2026, 2, 8, 7, 30);
export const HOUR = 3_600_000;

export const FULL_POLICY: LifecyclePolicy = {
  autostopAfterMs: 8 * HOUR,
  autostopReminderMs: 30 * 60_000,
  stoppedTtlMs: 7 * 24 * HOUR,
  dormantAfterMs: 3 * 24 * HOUR,
  dormantDeleteAfterMs: 30 * 24 * HOUR,
  autoDestroyReminderMs: HOUR,
};

/** A workspace with every optional field set, none at its default (what a lossless codec must carry). */
export function fullWorkspace(over: Partial<WorkspaceRecord> = {}): WorkspaceRecord {
  return {
    id: '3f2a9c1e5b7d4e6f8a9b0c1d2e3f4a5b',
    name: 'us-nix-3f2a9c1e5b7d',
    presetId: 'devbox/us-nix',
    template: 'devbox',
    preset: 'us-nix',
    state: 'claimed',
    owner: 'alice',
    templateVersion: 3,
    createdAt: WS_NOW - 2 * HOUR,
    readyAt: WS_NOW - HOUR - 1,
    claimedAt: WS_NOW - HOUR,
    attributes: { path: '/srv/ws/1', port: '8080' },
    error: '',
    dormantAt: WS_NOW - 5 * 60_000,
    deadline: WS_NOW + 7 * HOUR + 59 * 60_000,
    lastUsedAt: WS_NOW - 60_000,
    stoppedAt: WS_NOW - 3 * HOUR,
    autoDestroyAt: WS_NOW + 24 * HOUR,
    autoDestroyInactivityMs: 8 * HOUR,
    policy: FULL_POLICY,
    destroyReason: 'auto_destroy_inactivity',
    archivedAt: WS_NOW + 1,
    nextAttemptAt: WS_NOW + 60_000,
    deleteAttempts: 2,
    ...over,
  };
}

export class WorkspaceFakeService extends NotifyFakeService implements PrewarmService {
  readonly workspaces = new Map<string, WorkspaceRecord>();
  /** What explainWorkspace reports (its workspace is replaced by the one asked for). */
  outlook: WorkspaceOutlook | undefined;

  private note(method: string, ...args: unknown[]): void {
    this.record(method, ...args);
  }

  private checkSettings(s: WorkspaceSettings): { at?: number | null; inactivity?: number | null } {
    const out: { at?: number | null; inactivity?: number | null } = {};
    const errors = [];
    if (s.autoDestroyAt !== undefined) {
      if (s.autoDestroyAt === null) out.at = null;
      else {
        try {
          out.at = parseInstant(s.autoDestroyAt);
          if (out.at <= this.now) errors.push({ path: ['auto_destroy_at'], message: `must be in the future, got "${s.autoDestroyAt}"` });
        } catch (err) {
          errors.push({ path: ['auto_destroy_at'], message: (err as Error).message });
        }
      }
    }
    if (s.autoDestroyInactivity !== undefined) {
      if (s.autoDestroyInactivity === null) out.inactivity = null;
      else {
        try {
          out.inactivity = parseLifecycleDuration(s.autoDestroyInactivity);
        } catch (err) {
          errors.push({ path: ['auto_destroy_inactivity'], message: (err as Error).message });
        }
      }
    }
    if (errors.length > 0) throw new ValidationError(errors);
    return out;
  }

  override async claim(req: ClaimRequest): Promise<WorkspaceRecord> {
    // Settings are checked before the pool is touched: a refused claim changes nothing.
    const settings = this.checkSettings({ autoDestroyAt: req.autoDestroyAt, autoDestroyInactivity: req.autoDestroyInactivity });
    const instance = await super.claim(req);
    const w = this.asWorkspace(instance, {
      autoDestroyAt: settings.at ?? null,
      autoDestroyInactivityMs: settings.inactivity ?? null,
    });
    this.instances.set(w.id, w);
    return w;
  }

  /** Test setup, not recorded as a call. */
  addWorkspace(init: Partial<WorkspaceRecord> & { presetId: string }): WorkspaceRecord {
    const instance = this.addInstance({ state: 'claimed', owner: 'alice', claimedAt: this.now - HOUR, ...init });
    const w = this.asWorkspace(instance, init);
    this.instances.set(w.id, w);
    return w;
  }

  private asWorkspace(i: InstanceRecord, over: Partial<WorkspaceRecord>): WorkspaceRecord {
    const autostop = over.policy?.autostopAfterMs ?? null;
    const w: WorkspaceRecord = {
      dormantAt: null,
      deadline: i.state === 'claimed' && autostop !== null ? this.now + autostop : null,
      lastUsedAt: this.now,
      stoppedAt: null,
      autoDestroyAt: null,
      autoDestroyInactivityMs: null,
      policy: NO_LIFECYCLE_POLICY,
      destroyReason: null,
      archivedAt: null,
      nextAttemptAt: null,
      deleteAttempts: 0,
      ...over,
      ...i,
      owner: i.owner ?? 'anonymous',
    };
    this.workspaces.set(w.id, w);
    return w;
  }

  private find(ref: string): WorkspaceRecord {
    const w = this.workspaces.get(ref) ?? [...this.workspaces.values()].find((x) => x.name === ref);
    if (w) return w;
    const i = this.instances.get(ref) ?? [...this.instances.values()].find((x) => x.name === ref);
    if (i) throw new ConflictError(`instance ${i.id} belongs to the pool (unclaimed); it is not a workspace`);
    throw new NotFoundError(`workspace ${ref} not found`);
  }

  private save(w: WorkspaceRecord): WorkspaceRecord {
    this.workspaces.set(w.id, w);
    this.instances.set(w.id, w);
    return w;
  }

  async listWorkspaces(filter: WorkspaceFilter): Promise<WorkspaceRecord[]> {
    this.note('listWorkspaces', filter);
    return [...this.workspaces.values()].filter(
      (w) =>
        (filter.owner === undefined || w.owner === filter.owner) &&
        (filter.presetId === undefined || w.presetId === filter.presetId) &&
        (filter.archived === true || w.state !== 'archived'),
    );
  }

  async getWorkspace(ref: string): Promise<WorkspaceRecord> {
    this.note('getWorkspace', ref);
    return this.find(ref);
  }

  async workspaceOp(ref: string, op: WorkspaceOp): Promise<WorkspaceRecord> {
    this.note('workspaceOp', ref, op);
    const w = this.find(ref);
    if (w.state === 'archived' && op !== 'delete') throw new ConflictError(`workspace ${w.id} is archived`);
    switch (op) {
      case 'start':
        if (w.state === 'claimed' || w.state === 'starting' || w.state === 'pending') return w;
        if (w.state !== 'stopped') throw new ConflictError(`workspace ${w.id} is ${w.state}`);
        return this.save({ ...w, state: 'starting' });
      case 'stop':
        if (w.state === 'stopped' || w.state === 'stopping') return w;
        if (w.state !== 'claimed') throw new ConflictError(`workspace ${w.id} is ${w.state}`);
        return this.save({ ...w, state: 'stopping' });
      case 'delete':
        if (w.state === 'deleting' || w.state === 'archived') return w;
        if (!['claimed', 'stopped', 'failed'].includes(w.state)) throw new ConflictError(`workspace ${w.id} is ${w.state}: wait for it to finish`);
        return this.save({ ...w, state: 'deleting', destroyReason: 'user', deleteAttempts: 0 });
    }
  }

  async reportActivity(ref: string): Promise<WorkspaceRecord> {
    this.note('reportActivity', ref);
    const w = this.find(ref);
    if (!['claimed', 'stopped', 'stopping', 'starting'].includes(w.state)) throw new ConflictError(`workspace ${w.id} is ${w.state}`);
    const bumped = w.policy.autostopAfterMs === null || w.state !== 'claimed' ? w.deadline : Math.max(w.deadline ?? 0, this.now + w.policy.autostopAfterMs);
    return this.save({ ...w, lastUsedAt: this.now, dormantAt: null, deadline: bumped });
  }

  async setWorkspace(ref: string, change: WorkspaceSettings): Promise<WorkspaceRecord> {
    this.note('setWorkspace', ref, change);
    const w = this.find(ref);
    const s = this.checkSettings(change);
    if (w.state === 'archived') throw new ConflictError(`workspace ${w.id} is archived`);
    return this.save({
      ...w,
      autoDestroyAt: s.at === undefined ? w.autoDestroyAt : s.at,
      autoDestroyInactivityMs: s.inactivity === undefined ? w.autoDestroyInactivityMs : s.inactivity,
    });
  }

  async explainWorkspace(ref: string, at?: number): Promise<WorkspaceExplainReport> {
    this.note('explainWorkspace', ref, at);
    const w = this.find(ref);
    const outlook = this.outlook ?? { at: at ?? this.now, next: null, rules: [] };
    return { workspace: w, outlook: { ...outlook, at: at ?? outlook.at } };
  }
}

/** startTestApi (api-fake.ts) with a WorkspaceFakeService behind the server. */
export async function startWorkspaceTestApi(
  opts: Partial<ApiServerOptions> = {},
  clientOpts: Partial<ClientOptions> = {},
): Promise<TestApi & { fake: WorkspaceFakeService }> {
  const fake = new WorkspaceFakeService();
  const logs: TestApi['logs'] = [];
  const server = await startApiServer({
    service: fake,
    listen: '127.0.0.1:0',
    verifyToken: (tok) => tok === TOKEN,
    log: (level, msg, fields) => logs.push({ level, msg, fields }),
    ...opts,
  });
  const endpoint = server.address;
  const client = createClient({ endpoint, token: TOKEN, timeoutMs: 5000, ...clientOpts });
  return {
    fake,
    server,
    client,
    logs,
    endpoint,
    async close() {
      client.close();
      await server.close(100);
    },
  };
}
