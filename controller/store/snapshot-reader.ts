import type { PresetSpec } from '../domain/specs';
import { compileScheduling } from '../domain/scheduling';
import type { Db } from './db';
import { getMeta, metaKeys } from './meta';
import type { PresetRow } from './tables';
import type { InstanceState, PresetStatus } from '../domain/states';
import type { InstanceView, PresetView, Snapshot } from '../domain/snapshot';

export interface SnapshotWarning {
  presetId: string;
  message: string;
}

/** Instance columns the reconciler reads, named as InstanceView fields. */
const instanceColumns = [
  'id',
  'preset_id as presetId',
  'state',
  'owner',
  'template_version as templateVersion',
  'generation',
  'created_at as createdAt',
  'ready_at as readyAt',
  'failed_at as failedAt',
  'stopped_at as stoppedAt',
  'next_attempt_at as nextAttemptAt',
  'rev',
] as const;

type InstanceViewRow = Omit<InstanceView, 'jobInFlight'> & { rev: number; jobInFlight?: boolean };

/** A full re-read now and then, as a safety net under the revision-based deltas. */
const fullReloadEveryMs = 15 * 60 * 1000;

/**
 * Reads one consistent view of everything the reconciler needs, in a single read transaction.
 *
 * Instances are kept in an in-memory mirror: the first read loads every live row, later reads fetch only the
 * rows whose revision (bumped by triggers on every write) is newer than the last one seen. A no-op tick over
 * 100,000 instances therefore reads a handful of rows instead of all of them, and makes no garbage for the
 * collector. Preset views are cached by their row content so an unchanged preset's spec is not re-parsed or
 * its schedules recompiled every tick.
 */
export class SnapshotReader {
  private cache = new Map<string, { rev: number; templateVersion: number; templateDeleted: boolean; view: PresetView }>();
  private presetRows = new Map<string, PresetRow>();
  private presetOrder: string[] = [];
  private lastPresetRev = -1;
  private instances = new Map<string, InstanceView>();
  private byPreset = new Map<string, InstanceView[]>();
  private lastRev = -1;
  private lastFullLoad = 0;
  private busy = new Set<string>();
  /** Presets whose stored schedules no longer compile; they run on their base count. */
  readonly warnings: SnapshotWarning[] = [];

  /** `clock` times the periodic full reload; it is the controller's clock, whatever instant a snapshot is for. */
  constructor(private readonly clock: { now(): number }) {}

  async read(db: Db, now: number): Promise<Snapshot> {
    const run = async (trx: Db): Promise<Snapshot> => {
      const paused = (await getMeta(trx, metaKeys.paused)) === '1';
      const templates = await trx.selectFrom('templates').select(['name', 'version', 'deleted_at']).execute();
      const templateByName = new Map(templates.map((t) => [t.name, t]));
      const readAt = this.clock.now();
      const full = this.lastRev < 0 || readAt - this.lastFullLoad >= fullReloadEveryMs;

      // Presets are mirrored by revision like instances; only changed rows are read.
      if (full) this.presetRows.clear();
      const changed = await trx
        .selectFrom('presets')
        .selectAll()
        .where('rev', '>', full ? -1 : this.lastPresetRev)
        .execute();
      for (const row of changed) {
        this.presetRows.set(row.id, row);
        if (Number(row.rev) > this.lastPresetRev) this.lastPresetRev = Number(row.rev);
      }
      // A full reload can also shrink the set (purged rows), so the order is rebuilt then too.
      if (full || changed.length > 0) this.presetOrder = [...this.presetRows.keys()].sort();
      if (full) {
        // Rows purged since the last full read are only noticed here; until then they are deleted presets with
        // no instances, which plan to nothing.
        for (const id of this.cache.keys()) if (!this.presetRows.has(id)) this.cache.delete(id);
      }
      const presets: PresetView[] = [];
      for (const id of this.presetOrder) {
        const row = this.presetRows.get(id)!;
        const template = templateByName.get(row.template);
        presets.push(this.view(row, template ? Number(template.version) : 0, !template || template.deleted_at !== null));
      }

      let rows: InstanceViewRow[];
      if (full) {
        rows = (await trx
          .selectFrom('instances')
          .select(instanceColumns)
          .where('state', 'not in', ['deleted', 'archived'])
          .execute()) as unknown as InstanceViewRow[];
        const counter = await trx.selectFrom('revisions').select('value').where('name', '=', 'instances').executeTakeFirst();
        this.resetMirror(rows, Number(counter?.value ?? 0));
        this.lastFullLoad = readAt;
      } else {
        rows = (await trx
          .selectFrom('instances')
          .select(instanceColumns)
          .where('rev', '>', this.lastRev)
          .orderBy('rev')
          .execute()) as unknown as InstanceViewRow[];
        this.applyDelta(rows);
      }

      const busyRows = await trx.selectFrom('jobs').select('instance_id').where('state', 'in', ['pending', 'running']).execute();
      const busy = new Set(busyRows.map((b) => b.instance_id));
      for (const id of this.busy) if (!busy.has(id)) this.markBusy(id, false);
      for (const id of busy) this.markBusy(id, true);
      this.busy = busy;

      // A fresh outer map per snapshot: a plan computed from an earlier snapshot keeps seeing its own lists.
      return { now, paused, presets, instancesByPreset: new Map(this.byPreset), inFlight: busyRows.length };
    };
    // Repeatable read (PostgreSQL; SQLite's transactions always are): every statement of the read sees one snapshot,
    // so the revision the mirror records agrees with the rows it read, whatever other replicas commit meanwhile.
    return 'isTransaction' in db && db.isTransaction ? run(db) : db.transaction().setIsolationLevel('repeatable read').execute(run);
  }

  private resetMirror(rows: InstanceViewRow[], maxRev: number): void {
    this.instances.clear();
    this.byPreset.clear();
    this.busy.clear();
    for (const row of rows) {
      const view = toView(row);
      this.instances.set(view.id, view);
      let list = this.byPreset.get(view.presetId);
      if (!list) this.byPreset.set(view.presetId, (list = []));
      list.push(view);
    }
    for (const list of this.byPreset.values()) list.sort(byCreation);
    this.lastRev = maxRev;
  }

  private applyDelta(rows: InstanceViewRow[]): void {
    if (rows.length === 0) return;
    const dirty = new Set<string>();
    for (const row of rows) {
      dirty.add(row.presetId);
      if (row.state === 'deleted' || row.state === 'archived') this.instances.delete(row.id);
      else this.instances.set(row.id, toView(row));
      if (Number(row.rev) > this.lastRev) this.lastRev = Number(row.rev);
    }
    // Lists are rebuilt (not edited) for the presets that changed, so older snapshots stay intact.
    const lists = new Map<string, InstanceView[]>();
    for (const id of dirty) lists.set(id, []);
    for (const view of this.instances.values()) lists.get(view.presetId)?.push(view);
    for (const [id, list] of lists) {
      if (list.length === 0) this.byPreset.delete(id);
      else this.byPreset.set(id, list.sort(byCreation));
    }
  }

  private markBusy(id: string, busy: boolean): void {
    const view = this.instances.get(id);
    if (view && view.jobInFlight !== busy) view.jobInFlight = busy;
  }
  private view(row: PresetRow, templateVersion: number, templateDeleted: boolean): PresetView {
    const rev = Number(row.rev);
    const cached = this.cache.get(row.id);
    if (cached && cached.rev === rev && cached.templateVersion === templateVersion && cached.templateDeleted === templateDeleted) return cached.view;
    const spec = JSON.parse(row.spec) as PresetSpec;
    let scheduling = null;
    if (spec.prebuilds?.scheduling) {
      try {
        scheduling = compileScheduling(spec.prebuilds.scheduling);
      } catch (err) {
        // Validated when stored; a newer, stricter release may still reject it. Run on the base count
        // rather than stopping the pool, and say so.
        this.warnings.push({ presetId: row.id, message: `schedules ignored: ${(err as Error).message}` });
      }
    }
    const view: PresetView = {
      id: row.id,
      template: row.template,
      name: row.name,
      templateVersion,
      generation: Number(row.generation),
      deleted: row.deleted_at !== null || templateDeleted,
      paused: row.paused === 1,
      status: row.status as PresetStatus,
      statusReason: row.status_reason,
      pool: spec.prebuilds
        ? { instances: spec.prebuilds.instances, ttlSeconds: spec.prebuilds.expiration_policy?.ttl ?? 0, scheduling }
        : null,
      invalidatedAt: row.invalidated_at === null ? null : Number(row.invalidated_at),
      backoffUntil: row.backoff_until === null ? null : Number(row.backoff_until),
    };
    this.cache.set(row.id, { rev, templateVersion, templateDeleted, view });
    return view;
  }
}

/**
 * The row becomes the view in place (SQLite returns integers as numbers, and the column aliases already are
 * the view's field names): a full load of 100,000 rows allocates them once, not twice.
 */
function toView(row: InstanceViewRow): InstanceView {
  row.jobInFlight = false;
  row.state = row.state as InstanceState;
  return row as InstanceView;
}

/** Mirror lists are kept in creation order, the order a full read would give, so plans do not depend on history. */
function byCreation(a: InstanceView, b: InstanceView): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
