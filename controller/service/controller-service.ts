import type {
  ClaimRequest,
  ExplainReport,
  NotificationTargetInput,
  PrewarmService,
  StatusReport,
  WorkspaceExplainReport,
  WorkspaceSettings,
} from '../api/service';
import type { Clock } from '../clock/clock';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import { formatPresetId } from '../domain/ids';
import type { InstanceRecord, PresetRecord, PutOptions, TemplateRecord } from '../domain/records';
import type { PresetSpec, TemplateSpec } from '../domain/specs';
import type { InstanceState } from '../domain/states';
import { normalizeOwner, ownerProblem } from '../domain/text';
import { parsePresetSpec, parseTemplateSpec } from '../domain/validate';
import type { Executor } from '../executor/executor';
import type { Logger } from '../log';
import type { ControllerMetrics } from '../ops/metrics';
import type { Reconciler } from '../loop/reconciler';
import type { Store } from '../store/store';
import type { DeliveryFilter, DeliveryRecord, NotificationTargetRecord, TestDeliveryResult } from '../domain/notification-target';
import { explainPreset } from './explain';
import { type DeliveryControl, NotificationService, type SecretSealer } from './notification-service';
import { parseWorkspaceSettings, reminderOf, WorkspaceService } from './workspace-service';
import type { WorkspaceFilter, WorkspaceOp, WorkspaceRecord } from '../domain/workspace';

/**
 * Claims come in bursts; one refill pass shortly after a burst is enough, and it keeps full snapshots from
 * running between every two claims.
 */
const refillDelayMs = 250;
/** How many recent driver operations a status report carries (a live view shows the last few). */
const STATUS_EVENTS = 20;

export interface ControllerServiceDeps {
  store: Store;
  clock: Clock;
  reconciler: Reconciler;
  /** Kicked when a workspace setting changes; absent in tests that run no lifecycle loop. */
  lifecycle?: { kick(): void };
  executor: Executor;
  /** Checks a template's driver and config before it is stored; throws ValidationError naming the field. */
  checkDriver: (driver: string, config: Readonly<Record<string, string>>) => void;
  inFlightLimit: number;
  log: Logger;
  metrics?: ControllerMetrics;
  /** Seals webhook secrets before they are stored. */
  secrets: SecretSealer;
  delivery: DeliveryControl;
  /** The ports this controller listens on; notification targets may not point at them. */
  ownPorts: () => readonly number[];
}

/** The controller's use cases, behind the PrewarmService contract the API serves. */
export class ControllerService implements PrewarmService {
  private readonly workspaces: WorkspaceService;
  private readonly notifications: NotificationService;

  constructor(private readonly deps: ControllerServiceDeps) {
    this.workspaces = new WorkspaceService({
      store: deps.store,
      clock: deps.clock,
      executor: deps.executor,
      log: deps.log,
      kickLifecycle: () => deps.lifecycle?.kick(),
    });
    this.notifications = new NotificationService({
      store: deps.store,
      clock: deps.clock,
      log: deps.log,
      secrets: deps.secrets,
      delivery: deps.delivery,
      ownPorts: deps.ownPorts,
    });
  }

  async putTemplate(input: TemplateSpec, opts: PutOptions = {}): Promise<TemplateRecord> {
    const spec = parseTemplateSpec(input);
    try {
      this.deps.checkDriver(spec.driver, spec.config);
    } catch (err) {
      if (err instanceof ValidationError) throw err;
      throw ValidationError.field(['driver'], (err as Error).message);
    }
    const { record, changed } = await this.deps.store.putTemplate(spec, this.deps.clock.now(), opts);
    if (changed) {
      this.deps.log.info('template stored', { template: record.name, version: record.version });
      this.deps.reconciler.kick();
    }
    return record;
  }

  getTemplate(name: string): Promise<TemplateRecord> {
    return this.deps.store.getTemplate(name);
  }

  listTemplates(): Promise<TemplateRecord[]> {
    return this.deps.store.listTemplates();
  }

  async deleteTemplate(name: string): Promise<void> {
    await this.deps.store.deleteTemplate(name, this.deps.clock.now());
    this.deps.log.info('template deleted', { template: name });
    this.deps.reconciler.kick();
  }

  async putPreset(input: PresetSpec, opts: PutOptions = {}): Promise<PresetRecord> {
    const spec = parsePresetSpec(input);
    const { record, changed } = await this.deps.store.putPreset(spec, this.deps.clock.now(), opts);
    if (changed) {
      this.deps.log.info('preset stored', { preset: record.id, generation: record.generation });
      this.deps.reconciler.kick();
    }
    return record;
  }

  getPreset(template: string, name: string): Promise<PresetRecord> {
    return this.deps.store.getPreset(formatPresetId(template, name));
  }

  listPresets(template?: string): Promise<PresetRecord[]> {
    return this.deps.store.listPresets(template);
  }

  async deletePreset(template: string, name: string): Promise<void> {
    await this.deps.store.deletePreset(formatPresetId(template, name), this.deps.clock.now());
    this.deps.log.info('preset deleted; its pool will be retired', { preset: formatPresetId(template, name) });
    this.deps.reconciler.kick();
  }

  async explain(req: { at?: number; presetId?: string }): Promise<ExplainReport> {
    const at = req.at ?? this.deps.clock.now();
    const { snapshot, plan, budgeted } = await this.deps.reconciler.preview(at);
    const selected = plan.presets.filter((p) => p.desiredSource.kind !== 'deleted' || p.actions.length > 0);
    const wanted = req.presetId === undefined ? selected : selected.filter((p) => p.presetId === req.presetId);
    if (req.presetId !== undefined && wanted.length === 0) throw new NotFoundError(`no preset "${req.presetId}"`);
    return {
      at: new Date(at).toISOString(),
      paused: snapshot.paused,
      presets: wanted.map((p) => explainPreset(p, budgeted)),
    };
  }

  async status(req: { presetId?: string }): Promise<StatusReport> {
    const report = await this.explain({ presetId: req.presetId });
    const inFlight = await this.deps.store.jobsInFlight();
    const events = await this.deps.store.recentEvents(STATUS_EVENTS, req.presetId);
    return {
      at: new Date(this.deps.clock.now()).toISOString(),
      paused: report.paused,
      inFlight,
      inFlightLimit: this.deps.inFlightLimit,
      presets: report.presets,
      events,
      replicas: await this.deps.store.listReplicas(),
    };
  }

  async claim(req: ClaimRequest): Promise<WorkspaceRecord> {
    const { store, clock } = this.deps;
    const id = formatPresetId(req.template, req.preset);
    // The API checks the owner too; this covers every other caller, so nothing unchecked is ever stored.
    const ownerIssue = req.owner === undefined ? null : ownerProblem(req.owner);
    if (ownerIssue !== null) throw ValidationError.field(['owner'], ownerIssue);
    const owner = normalizeOwner(req.owner);
    const now = clock.now();
    const settings = await this.claimSettings(req, now);
    const claimed = await store.claim({ presetId: id, template: req.template, owner, now, ...settings });
    if (claimed) {
      this.deps.metrics?.claims.inc({ result: 'pool' });
      this.deps.log.info('instance claimed', { preset: id, instance: claimed.id, owner });
      this.deps.reconciler.kick(refillDelayMs);
      return claimed;
    }
    if (req.noFallback) {
      await store.getPreset(id); // an unknown preset is NOT_FOUND, not an empty pool
      this.deps.metrics?.claims.inc({ result: 'empty' });
      throw new ConflictError(`no ready instance in the pool of "${id}" (fallback build not requested)`);
    }
    const fallback = await store.insertClaimBuild(id, owner, now, settings);
    // A person is waiting: the fallback build starts now, outside the reconcile budget.
    this.deps.executor.launch(fallback.jobId);
    this.deps.metrics?.claims.inc({ result: 'fallback' });
    this.deps.log.info('pool empty; started a fresh build for the claimer', { preset: id, instance: fallback.instance.id, owner });
    this.deps.reconciler.kick();
    return fallback.instance;
  }

  /** A claim's own destroy settings, validated (the inactivity period against the template's reminder lead). */
  private async claimSettings(req: ClaimRequest, now: number): Promise<{ autoDestroyAt?: number | null; autoDestroyInactivityMs?: number | null }> {
    if (req.autoDestroyAt === undefined && req.autoDestroyInactivity === undefined) return {};
    const reminder = req.autoDestroyInactivity === undefined ? null : reminderOf((await this.deps.store.getTemplate(req.template)).lifecycle_policy);
    return parseWorkspaceSettings({ autoDestroyAt: req.autoDestroyAt, autoDestroyInactivity: req.autoDestroyInactivity }, now, reminder);
  }

  listWorkspaces(filter: WorkspaceFilter): Promise<WorkspaceRecord[]> {
    return this.workspaces.listWorkspaces(filter);
  }
  getWorkspace(ref: string): Promise<WorkspaceRecord> {
    return this.workspaces.getWorkspace(ref);
  }
  workspaceOp(ref: string, op: WorkspaceOp): Promise<WorkspaceRecord> {
    return this.workspaces.workspaceOp(ref, op);
  }
  reportActivity(ref: string): Promise<WorkspaceRecord> {
    return this.workspaces.reportActivity(ref);
  }
  setWorkspace(ref: string, change: WorkspaceSettings): Promise<WorkspaceRecord> {
    return this.workspaces.setWorkspace(ref, change);
  }
  explainWorkspace(ref: string, at?: number): Promise<WorkspaceExplainReport> {
    return this.workspaces.explainWorkspace(ref, at);
  }

  putNotificationTarget(input: NotificationTargetInput, opts?: PutOptions): Promise<{ target: NotificationTargetRecord; changed: boolean }> {
    return this.notifications.putNotificationTarget(input, opts);
  }
  getNotificationTarget(name: string): Promise<NotificationTargetRecord> {
    return this.notifications.getNotificationTarget(name);
  }
  listNotificationTargets(): Promise<NotificationTargetRecord[]> {
    return this.notifications.listNotificationTargets();
  }
  deleteNotificationTarget(name: string): Promise<void> {
    return this.notifications.deleteNotificationTarget(name);
  }
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]> {
    return this.notifications.listDeliveries(filter);
  }
  resendDelivery(id: number): Promise<DeliveryRecord> {
    return this.notifications.resendDelivery(id);
  }
  testNotificationTarget(name: string): Promise<TestDeliveryResult> {
    return this.notifications.testNotificationTarget(name);
  }

  /** `ref` is the full id, a prefix of 8 or more characters of it, or the instance name (see Store.resolveInstance). */
  getInstance(ref: string): Promise<InstanceRecord> {
    return this.deps.store.resolveInstance(ref);
  }

  listInstances(req: { presetId?: string; state?: InstanceState }): Promise<InstanceRecord[]> {
    return this.deps.store.listInstances(req);
  }

  async pause(id?: string): Promise<void> {
    const now = this.deps.clock.now();
    if (id === undefined) await this.deps.store.setGloballyPaused(true);
    else await this.deps.store.setPresetPaused(id, true, now);
    this.deps.log.info('reconciliation paused', { preset: id ?? '*' });
  }

  async resume(id?: string): Promise<void> {
    const now = this.deps.clock.now();
    if (id === undefined) await this.deps.store.setGloballyPaused(false);
    else await this.deps.store.resumePreset(id, now);
    this.deps.log.info('reconciliation resumed', { preset: id ?? '*' });
    this.deps.reconciler.kick();
  }

  async invalidate(template: string, name: string): Promise<{ invalidatedAt: number }> {
    const at = await this.deps.store.invalidatePreset(formatPresetId(template, name), this.deps.clock.now());
    this.deps.log.info('preset invalidated; older instances will be replaced', { preset: formatPresetId(template, name) });
    this.deps.reconciler.kick();
    return { invalidatedAt: at };
  }

  /** For /readyz and tests. */
  isGloballyPaused(): Promise<boolean> {
    return this.deps.store.isGloballyPaused();
  }
}
