import type { InstanceRecord, PoolEvent, PresetRecord, PutOptions, TemplateRecord } from '../domain/records';
import type { DeliveryFilter, DeliveryRecord, NotificationTargetRecord, TestDeliveryResult } from '../domain/notification-target';
import type { PresetSpec, TemplateSpec } from '../domain/specs';
import type { InstanceState, PresetStatus } from '../domain/states';
import type { WorkspaceFilter, WorkspaceOp, WorkspaceOutlook, WorkspaceRecord } from '../domain/workspace';
import type { ReplicaRecord } from '../domain/replica';


/**
 * What the controller offers its clients, independent of the wire. The gRPC server (api/server.ts) maps each
 * method to an RPC; errors map by class: ValidationError → INVALID_ARGUMENT, NotFoundError → NOT_FOUND,
 * ConflictError → FAILED_PRECONDITION, anything else → INTERNAL.
 */
export interface PrewarmService {
  putTemplate(spec: TemplateSpec, opts?: PutOptions): Promise<TemplateRecord>;
  getTemplate(name: string): Promise<TemplateRecord>;
  listTemplates(): Promise<TemplateRecord[]>;
  deleteTemplate(name: string): Promise<void>;

  putPreset(spec: PresetSpec, opts?: PutOptions): Promise<PresetRecord>;
  getPreset(template: string, name: string): Promise<PresetRecord>;
  listPresets(template?: string): Promise<PresetRecord[]>;
  deletePreset(template: string, name: string): Promise<void>;

  /** What the next tick would do, without doing it. `at` (epoch ms) evaluates windows at that instant. */
  explain(req: { at?: number; presetId?: string }): Promise<ExplainReport>;
  status(req: { presetId?: string }): Promise<StatusReport>;

  /** Hands out the oldest ready instance of the pool (or starts a build for the claimer) as a workspace. */
  claim(req: ClaimRequest): Promise<WorkspaceRecord>;
  getInstance(id: string): Promise<InstanceRecord>;
  listInstances(req: { presetId?: string; state?: InstanceState }): Promise<InstanceRecord[]>;

  /** Without a preset id: the global switch. Resume also lifts hard_limited/validation_failed and backoff. */
  pause(presetId?: string): Promise<void>;
  resume(presetId?: string): Promise<void>;
  invalidate(template: string, name: string): Promise<{ invalidatedAt: number }>;

  // Workspaces (claimed instances). `ref` is what getInstance takes: an id, an id prefix of 8+ characters or a
  // name. A pool (unclaimed) instance is FAILED_PRECONDITION; an unknown one NOT_FOUND.
  listWorkspaces(filter: WorkspaceFilter): Promise<WorkspaceRecord[]>;
  getWorkspace(ref: string): Promise<WorkspaceRecord>;
  /**
   * start: a stopped workspace starts (clears dormancy); stop: a running one stops; delete: deletes it and archives
   * the record once the driver succeeded. Asking for the state a workspace is already in (or heading to) changes
   * nothing; an impossible request (starting an archived workspace) is FAILED_PRECONDITION.
   */
  workspaceOp(ref: string, op: WorkspaceOp): Promise<WorkspaceRecord>;
  /** Reports use: bumps last_used_at and the autostop deadline, clears dormancy, re-arms inactivity destroy. */
  reportActivity(ref: string): Promise<WorkspaceRecord>;
  /** Changes the workspace's own destroy settings; undefined leaves a field, null clears it. */
  setWorkspace(ref: string, change: WorkspaceSettings): Promise<WorkspaceRecord>;
  /** Each rule's next transition and reminder, evaluated at `at` (epoch ms; default now). */
  explainWorkspace(ref: string, at?: number): Promise<WorkspaceExplainReport>;

  // Notification targets (webhooks) and their deliveries. The secret goes in, never comes out.
  /**
   * Validates (parseTargetSpec: every problem with its field), refuses a URL at this controller's own API or metrics
   * port, seals the secret and stores the target. `input` is the target as users write it (format, enabled optional).
   */
  putNotificationTarget(input: NotificationTargetInput, opts?: PutOptions): Promise<{ target: NotificationTargetRecord; changed: boolean }>;
  getNotificationTarget(name: string): Promise<NotificationTargetRecord>;
  listNotificationTargets(): Promise<NotificationTargetRecord[]>;
  deleteNotificationTarget(name: string): Promise<void>;
  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]>;
  /** Sends a delivered or failed delivery again (a pending one: at once). */
  resendDelivery(id: number): Promise<DeliveryRecord>;
  /** Sends a signed `test` event to the target now (enabled or not) and reports the receiver's answer. */
  testNotificationTarget(name: string): Promise<TestDeliveryResult>;
}

/** A target as a client sends it; validated by parseTargetSpec. */
export interface NotificationTargetInput {
  name: string;
  url: string;
  secret: string;
  events: string[];
  format?: string;
  enabled?: boolean;
}

/** Destroy settings as users write them: an RFC 3339 instant and a lifecycle duration ("8h"); null clears. */
export interface WorkspaceSettings {
  autoDestroyAt?: string | null;
  autoDestroyInactivity?: string | null;
}

export interface WorkspaceExplainReport {
  workspace: WorkspaceRecord;
  outlook: WorkspaceOutlook;
}


export interface ClaimRequest {
  template: string;
  preset: string;
  owner?: string;
  /** Fail fast with NOT_FOUND-like error instead of starting a fresh build when the pool is empty. */
  noFallback?: boolean;
  /** The workspace's one-shot destroy instant (RFC 3339, in the future). */
  autoDestroyAt?: string;
  /** Destroy after this long without activity (a lifecycle duration such as "8h"). */
  autoDestroyInactivity?: string;
}

export interface ExplainAction {
  type: 'create' | 'delete' | 'backoff' | 'cancel_pending';
  count?: number;
  instance_ids?: string[];
  reason?: string;
  /** RFC 3339, for backoff. */
  until?: string;
}

/** The `prewarm explain --json` shape: attribute names are part of the CLI contract. */
export interface ExplainPreset {
  template: string;
  preset: string;
  desired: number;
  desired_source: string;
  ready: number;
  starting: number;
  expired: number;
  outdated: number;
  claimed: number;
  failed: number;
  status: PresetStatus;
  /** Why the status is not healthy; empty while healthy. */
  status_reason: string;
  paused: boolean;
  /** RFC 3339 or null. */
  backoff_until: string | null;
  actions: ExplainAction[];
}

export interface ExplainReport {
  /** RFC 3339 instant the windows were evaluated at. */
  at: string;
  paused: boolean;
  presets: ExplainPreset[];
}

export interface StatusReport {
  /** RFC 3339 instant of the controller's clock the status was taken at. */
  at: string;
  paused: boolean;
  inFlight: number;
  inFlightLimit: number;
  presets: ExplainPreset[];
  /** The most recent finished driver operations, newest first. */
  events: PoolEvent[];
  /**
   * The controller processes registered on the database, oldest first, with who leads (one on SQLite). Absent
   * from services that keep no replicas (test doubles); a controller that predates replicas sends none, which
   * decodes as an empty list.
   */
  replicas?: ReplicaRecord[];
}
