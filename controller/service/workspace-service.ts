import type { WorkspaceExplainReport, WorkspaceSettings } from '../api/service';
import type { Clock } from '../clock/clock';
import { ValidationError, type FieldError } from '../domain/errors';
import { formatInstant, parseInstant } from '../domain/instant';
import { formatLifecycleDuration, parseLifecycleDuration } from '../domain/lifecycle-duration';
import { lifecyclePolicyOf } from '../domain/lifecycle-policy';
import type { AutoDestroyChange, WorkspaceFilter, WorkspaceOp, WorkspaceRecord } from '../domain/workspace';
import type { Executor } from '../executor/executor';
import { explainWorkspace } from '../lifecycle';
import type { Logger } from '../log';
import type { Store } from '../store/store';

export interface WorkspaceServiceDeps {
  store: Store;
  clock: Clock;
  executor: Executor;
  log: Logger;
  /** Ask the lifecycle loop to look again soon (a setting changed). */
  kickLifecycle: () => void;
}

/**
 * The workspace use cases: reading, a user's start/stop/delete, activity, destroy settings and explain. Each store
 * call is one transaction; a driver job a request writes is started at once (a person is waiting), outside the
 * reconcile budget, like a claimer's fallback build.
 */
export class WorkspaceService {
  constructor(private readonly deps: WorkspaceServiceDeps) {}

  listWorkspaces(filter: WorkspaceFilter): Promise<WorkspaceRecord[]> {
    return this.deps.store.listWorkspaces(filter);
  }

  getWorkspace(ref: string): Promise<WorkspaceRecord> {
    return this.deps.store.getWorkspace(ref);
  }

  async workspaceOp(ref: string, op: WorkspaceOp): Promise<WorkspaceRecord> {
    const { record, jobId } = await this.deps.store.requestWorkspaceOp(ref, op, this.deps.clock.now());
    if (jobId !== null) {
      this.deps.log.info(`workspace ${op} requested`, { workspace: record.id, owner: record.owner });
      this.deps.executor.launch(jobId);
    }
    return record;
  }

  reportActivity(ref: string): Promise<WorkspaceRecord> {
    return this.deps.store.reportActivity(ref, this.deps.clock.now());
  }

  async setWorkspace(ref: string, settings: WorkspaceSettings): Promise<WorkspaceRecord> {
    if (settings.autoDestroyAt === undefined && settings.autoDestroyInactivity === undefined) {
      throw ValidationError.field([], 'nothing to change: give auto_destroy_at and/or auto_destroy_inactivity (null clears one)');
    }
    const now = this.deps.clock.now();
    const current = await this.deps.store.getWorkspace(ref);
    const change = parseWorkspaceSettings(settings, now, current.policy.autoDestroyReminderMs);
    const record = await this.deps.store.setAutoDestroy(current.id, change, now);
    this.deps.log.info('workspace destroy settings changed', {
      workspace: record.id,
      auto_destroy_at: record.autoDestroyAt === null ? null : formatInstant(record.autoDestroyAt),
      auto_destroy_inactivity: record.autoDestroyInactivityMs === null ? null : formatLifecycleDuration(record.autoDestroyInactivityMs),
    });
    this.deps.kickLifecycle();
    return record;
  }

  async explainWorkspace(ref: string, at?: number): Promise<WorkspaceExplainReport> {
    const workspace = await this.deps.store.getWorkspace(ref);
    const when = at ?? this.deps.clock.now();
    // One row and its job lookup: reading the lifecycle mirror would cost every workspace per call.
    const view = await this.deps.store.readWorkspace(workspace.id, when);
    // Archived (or not yet built) workspaces are outside every rule.
    const outlook = view === null ? { at: when, next: null, rules: [] } : explainWorkspace(view, when);
    return { workspace, outlook };
  }
}

/**
 * Validates a workspace's own destroy settings as users wrote them (claim or set): every problem is reported at
 * once, naming its field. `reminderMs` is the template's auto_destroy_reminder: an inactivity period must be
 * longer than the reminder that warns about it.
 */
export function parseWorkspaceSettings(settings: WorkspaceSettings, now: number, reminderMs: number | null): AutoDestroyChange {
  const errors: FieldError[] = [];
  const change: AutoDestroyChange = {};
  if (settings.autoDestroyAt === null) change.autoDestroyAt = null;
  else if (settings.autoDestroyAt !== undefined) {
    try {
      const at = parseInstant(settings.autoDestroyAt);
      if (at <= now) errors.push({ path: ['auto_destroy_at'], message: `must be in the future, got ${formatInstant(at)} (now is ${formatInstant(now)})` });
      else change.autoDestroyAt = at;
    } catch (err) {
      errors.push({ path: ['auto_destroy_at'], message: (err as Error).message });
    }
  }
  if (settings.autoDestroyInactivity === null) change.autoDestroyInactivityMs = null;
  else if (settings.autoDestroyInactivity !== undefined) {
    try {
      const ms = parseLifecycleDuration(settings.autoDestroyInactivity);
      if (reminderMs !== null && reminderMs >= ms) {
        errors.push({
          path: ['auto_destroy_inactivity'],
          message: `must be longer than the template's auto_destroy_reminder (${formatLifecycleDuration(reminderMs)}), got ${settings.autoDestroyInactivity}`,
        });
      } else change.autoDestroyInactivityMs = ms;
    } catch (err) {
      errors.push({ path: ['auto_destroy_inactivity'], message: (err as Error).message });
    }
  }
  if (errors.length > 0) throw new ValidationError(errors);
  return change;
}

/** The template's auto-destroy reminder lead, for validating a claim's settings against it. */
export function reminderOf(policy: Parameters<typeof lifecyclePolicyOf>[0]): number | null {
  return lifecyclePolicyOf(policy).autoDestroyReminderMs;
}
