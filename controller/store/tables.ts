import type { Generated, Selectable } from 'kysely';

/**
 * Table shapes. Times are epoch milliseconds (bigint columns, so PostgreSQL can hold them too); JSON is
 * stored as text so the schema stays portable between SQLite and PostgreSQL.
 */
export interface Database {
  meta: MetaTable;
  revisions: RevisionsTable;
  templates: TemplatesTable;
  template_versions: TemplateVersionsTable;
  presets: PresetsTable;
  instances: InstancesTable;
  jobs: JobsTable;
  notifications: NotificationsTable;
  notification_targets: NotificationTargetsTable;
  notification_deliveries: NotificationDeliveriesTable;
  replicas: ReplicasTable;
  leases: LeasesTable;
}

/** A controller process on this database; heartbeat_at is refreshed while it runs. */
export interface ReplicasTable {
  id: string;
  host: string;
  pid: number;
  version: string;
  api: string;
  started_at: number;
  heartbeat_at: number;
  stopped_at: number | null;
}

/** A named lease (the leader's): its holder, until when, and the generation every fenced write checks. */
export interface LeasesTable {
  name: string;
  holder: string | null;
  generation: number;
  expires_at: number | null;
  acquired_at: number | null;
  holder_session: number | null;
}

export interface MetaTable {
  key: string;
  value: string;
}

/** Monotonic per-table change counters, advanced by triggers (see migrations). */
export interface RevisionsTable {
  name: string;
  value: number;
}

export interface TemplatesTable extends PolicyColumns {
  name: string;
  driver: string;
  config: string;
  version: number;
  created_at: number;
  updated_at: number;
  /** Soft delete: the row stays until its instances are cleaned up, because deletes need the driver. */
  deleted_at: number | null;
  /** The LifecyclePolicySpec as canonical JSON ('{}' when none). */
  lifecycle_policy: string;
}

/** A template's lifecycle policy in milliseconds (null = rule off); on instances, the copy taken at claim. */
export interface PolicyColumns {
  autostop_after_ms: number | null;
  autostop_reminder_ms: number | null;
  stopped_ttl_ms: number | null;
  dormant_after_ms: number | null;
  dormant_delete_after_ms: number | null;
  auto_destroy_reminder_ms: number | null;
}

/** Every version a template ever had, so an instance is deleted with the driver and config that built it. */
export interface TemplateVersionsTable {
  template: string;
  version: number;
  driver: string;
  config: string;
  created_at: number;
}

export interface PresetsTable {
  id: string;
  template: string;
  name: string;
  /** The PresetSpec as JSON, exactly as accepted. */
  spec: string;
  is_default: number;
  generation: number;
  paused: number;
  status: string;
  status_reason: string;
  invalidated_at: number | null;
  consecutive_failures: number;
  backoff_until: number | null;
  created_at: number;
  updated_at: number;
  deleted_at: number | null;
  rev: Generated<number>;
}

/** A preset row as read back. */
export type PresetRow = Selectable<PresetsTable>;

export interface InstancesTable extends PolicyColumns {
  id: string;
  name: string;
  preset_id: string;
  template: string;
  template_version: number;
  generation: number;
  state: string;
  owner: string | null;
  attributes: string;
  parameters: string;
  error: string;
  created_at: number;
  ready_at: number | null;
  claimed_at: number | null;
  last_used_at: number | null;
  failed_at: number | null;
  stopped_at: number | null;
  deleting_at: number | null;
  deleted_at: number | null;
  next_attempt_at: number | null;
  delete_attempts: number;
  updated_at: number;
  /** Set by triggers on every write: a store-wide change counter the snapshot reads deltas by. */
  rev: Generated<number>;
  /** Workspace lifecycle (owned instances; null on pool rows). Autostop deadline of a running workspace. */
  deadline: number | null;
  /** Markers: the deadline / destroy instant a reminder was written for (one reminder per value). */
  reminded_deadline: number | null;
  destroy_reminded_at: number | null;
  dormant_at: number | null;
  auto_destroy_at: number | null;
  auto_destroy_inactivity_ms: number | null;
  archived_at: number | null;
  destroy_reason: string | null;
  /** Consecutive failed stops (the retry backoff counts from it). */
  lifecycle_failures: Generated<number>;
}

export interface JobsTable {
  id: Generated<number>;
  instance_id: string;
  preset_id: string;
  op: string;
  state: string;
  attempt: number;
  exit_code: number | null;
  error: string;
  stderr: string;
  created_at: number;
  started_at: number | null;
  finished_at: number | null;
}

export interface NotificationsTable {
  id: Generated<number>;
  dedupe_key: string;
  kind: string;
  payload: string;
  attempts: number;
  next_attempt_at: number;
  created_at: number;
  /** Legacy of the single-queue outbox (before delivery went per target); nothing reads it. */
  delivered_at: number | null;
  /** When the delivery loop turned it into one delivery per matching target (null: not yet). */
  fanned_out_at: number | null;
}

export interface NotificationTargetsTable {
  name: string;
  url: string;
  /** JSON array of event types (or ["*"]). */
  events: string;
  format: string;
  enabled: number;
  sealed_secret: string;
  secret_fingerprint: string;
  created_at: number;
  updated_at: number;
}

export interface NotificationDeliveriesTable {
  id: Generated<number>;
  notification_id: number;
  target: string;
  state: string;
  attempts: number;
  notification_created_at: number;
  window_start: number;
  next_attempt_at: number | null;
  lease: number;
  lease_until: number | null;
  created_at: number;
  delivered_at: number | null;
  failed_at: number | null;
  last_status: number | null;
  last_error: string;
  last_latency_ms: number | null;
}

/** A job row as read back (ids generated). */
export type JobRow = Selectable<JobsTable>;

/** An instance row as read back. */
export type InstanceRow = Selectable<InstancesTable>;
