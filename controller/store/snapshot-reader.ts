import type { PresetSpec } from '../domain/specs';
import { compileScheduling } from '../domain/scheduling';
import type { Db } from './db';
import { Interner } from './interner';
import { getMeta, metaKeys } from './meta';
import type { PresetRow } from './tables';
import type { InstanceState, PresetStatus } from '../domain/states';
import type { InstanceView, PresetView, Snapshot } from '../domain/snapshot';

export interface SnapshotWarning {
  presetId: string;
  message: string;
}

/** Instance columns the reconciler reads, named as InstanceView fields (plus the revision). */
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

/** An instance row as read (state as stored, plus the revision); the mirror keeps a view built from it, not the row. */
type InstanceRow = Omit<InstanceView, 'state' | 'jobInFlight'> & { state: string; rev: number };

/** Preset columns a view is built from. */
const presetColumns = [
  'id',
  'template',
  'name',
  'spec',
  'generation',
  'paused',
  'status',
  'status_reason',
  'invalidated_at',
  'backoff_until',
  'deleted_at',
  'rev',
] as const;

type PresetRowRead = Pick<PresetRow, (typeof presetColumns)[number]>;

/** What the mirror keeps of a preset row: its view (not the row, nor its spec text) and what decides when to rebuild it. */
interface PresetEntry {
  rev: number;
  /** The row's own soft delete; the view's `deleted` is also true when its template is deleted. */
  rowDeleted: boolean;
  view: PresetView;
}

/** A full re-read now and then, as a safety net under the revision-based deltas. */
const fullReloadEveryMs = 15 * 60 * 1000;

/**
 * Rows per statement of a full instance read (keyset pages by id, in the read's one transaction): the rows of one
 * page are garbage once their views are built, so a full load never holds 100,000 rows and 100,000 views at once.
 */
export const fullReadPageRows = 10_000;

/** Instance states and preset statuses as shared strings; one this version does not know is interned too (a handful at most). */
const codes = new Interner(64);

/**
 * Reads one consistent view of everything the reconciler needs, in a single read transaction.
 *
 * Instances are kept in an in-memory mirror: the first read loads every live row, later reads fetch only the
 * rows whose revision (bumped by triggers on every write) is newer than the last one seen. A no-op tick over
 * 100,000 instances therefore reads a handful of rows instead of all of them, and makes next to no garbage.
 *
 * What the mirror holds is sized for that many: one view object per instance of one fixed shape, with the strings
 * rows repeat (preset ids, states, owners) shared rather than one copy per row; per preset its view and revision,
 * not the row nor the spec text (the schedules are compiled once per preset revision). A snapshot shares what has
 * not changed since the previous one instead of copying it: the preset list and the map of instance lists are
 * the previous snapshot's own as long as nothing in them changed, and are never changed once handed out (a
 * change builds new ones), so a plan computed from an earlier snapshot keeps seeing its own lists.
 */
export class SnapshotReader {
  private presets = new Map<string, PresetEntry>();
  private presetOrder: string[] = [];
  /** The last snapshot's preset list (never changed once handed out). */
  private presetList: PresetView[] = [];
  private lastPresetRev = -1;
  private instances = new Map<string, InstanceView>();
  private byPreset = new Map<string, InstanceView[]>();
  /** True once `byPreset` went out in a snapshot: it is then copied before any change. */
  private byPresetShared = false;
  /** Preset ids, template and preset names and owners, shared by every view that names them. */
  private readonly strings = new Interner();
  private lastRev = -1;
  private lastFullLoad = 0;
  private busy = new Set<string>();
  /** Presets whose stored schedules no longer compile; they run on their base count. */
  readonly warnings: SnapshotWarning[] = [];

  /**
   * `clock` times the periodic full reload; it is the controller's clock, whatever instant a snapshot is for.
   * `pageRows`: rows per statement of a full read (tests make it small to read several pages).
   */
  constructor(
    private readonly clock: { now(): number },
    private readonly pageRows = fullReadPageRows,
  ) {}

  async read(db: Db, now: number): Promise<Snapshot> {
    const run = async (trx: Db): Promise<Snapshot> => {
      const paused = (await getMeta(trx, metaKeys.paused)) === '1';
      const templates = await trx.selectFrom('templates').select(['name', 'version', 'deleted_at']).execute();
      const templateByName = new Map(templates.map((t) => [t.name, t]));
      const readAt = this.clock.now();
      const full = this.lastRev < 0 || readAt - this.lastFullLoad >= fullReloadEveryMs;

      // Shared strings start afresh with a full read (the presets first, so instances share their ids).
      if (full) this.strings.clear();
      // Presets are mirrored by revision like instances; only changed rows are read.
      const changed = await trx
        .selectFrom('presets')
        .select(presetColumns)
        .where('rev', '>', full ? -1 : this.lastPresetRev)
        .execute();
      if (full) {
        // A full read can also shrink the set (purged rows): it becomes exactly the rows read. Entries whose row did
        // not change are kept as they are (no re-parse), their strings shared again.
        const next = new Map<string, PresetEntry>();
        for (const row of changed) {
          const kept = this.presets.get(row.id);
          const entry = kept !== undefined && kept.rev === Number(row.rev) ? this.reshare(kept) : this.entry(row, templateByName);
          next.set(entry.view.id, entry);
        }
        this.presets = next;
      } else {
        for (const row of changed) {
          const entry = this.entry(row, templateByName);
          this.presets.set(entry.view.id, entry);
        }
      }
      for (const row of changed) if (Number(row.rev) > this.lastPresetRev) this.lastPresetRev = Number(row.rev);
      if (full || changed.length > 0) this.presetOrder = [...this.presets.keys()].sort();

      // The previous list is handed out again unless a view in it changed.
      const previous = this.presetList;
      let list: PresetView[] | null = null;
      for (let k = 0; k < this.presetOrder.length; k++) {
        const view = this.presetView(this.presets.get(this.presetOrder[k]!)!, templateByName);
        if (list === null) {
          if (k < previous.length && previous[k] === view) continue;
          list = previous.slice(0, k);
        }
        list.push(view);
      }
      if (list === null && previous.length !== this.presetOrder.length) list = previous.slice(0, this.presetOrder.length);
      if (list !== null) this.presetList = list;

      if (full) {
        await this.loadAll(trx);
        const counter = await trx.selectFrom('revisions').select('value').where('name', '=', 'instances').executeTakeFirst();
        this.lastRev = Number(counter?.value ?? 0);
        this.lastFullLoad = readAt;
      } else {
        const rows = (await trx
          .selectFrom('instances')
          .select(instanceColumns)
          .where('rev', '>', this.lastRev)
          .orderBy('rev')
          .execute()) as unknown as InstanceRow[];
        this.applyDelta(rows);
      }

      const busyRows = await trx.selectFrom('jobs').select('instance_id').where('state', 'in', ['pending', 'running']).execute();
      const busy = new Set(busyRows.map((b) => b.instance_id));
      for (const id of this.busy) if (!busy.has(id)) this.markBusy(id, false);
      for (const id of busy) this.markBusy(id, true);
      this.busy = busy;

      this.byPresetShared = true;
      return { now, paused, presets: this.presetList, instancesByPreset: this.byPreset, inFlight: busyRows.length };
    };
    // Repeatable read (PostgreSQL; SQLite's transactions always are): every statement of the read sees one snapshot,
    // so the revision the mirror records agrees with the rows it read, whatever other replicas commit meanwhile.
    return 'isTransaction' in db && db.isTransaction ? run(db) : db.transaction().setIsolationLevel('repeatable read').execute(run);
  }

  /** Every live instance, a page of rows at a time (see fullReadPageRows). */
  private async loadAll(trx: Db): Promise<void> {
    this.instances = new Map();
    this.byPreset = new Map();
    this.byPresetShared = false;
    this.busy.clear();
    let after: string | null = null;
    for (;;) {
      let query = trx.selectFrom('instances').select(instanceColumns).where('state', 'not in', ['deleted', 'archived']);
      if (after !== null) query = query.where('id', '>', after);
      const rows = (await query.orderBy('id').limit(this.pageRows).execute()) as unknown as InstanceRow[];
      for (const row of rows) {
        const view = this.toView(row);
        this.instances.set(view.id, view);
        let list = this.byPreset.get(view.presetId);
        if (!list) this.byPreset.set(view.presetId, (list = []));
        list.push(view);
      }
      if (rows.length < this.pageRows) break;
      after = rows[rows.length - 1]!.id;
    }
    for (const list of this.byPreset.values()) list.sort(byCreation);
  }

  private applyDelta(rows: InstanceRow[]): void {
    if (rows.length === 0) return;
    const dirty = new Set<string>();
    for (const row of rows) {
      const view = row.state === 'deleted' || row.state === 'archived' ? undefined : this.toView(row);
      dirty.add(view?.presetId ?? this.strings.intern(row.presetId));
      if (view === undefined) this.instances.delete(row.id);
      else this.instances.set(view.id, view);
      if (Number(row.rev) > this.lastRev) this.lastRev = Number(row.rev);
    }
    // Lists are rebuilt (not edited) for the presets that changed, in a map of their own once the current one went
    // out in a snapshot, so older snapshots stay intact.
    if (this.byPresetShared) {
      this.byPreset = new Map(this.byPreset);
      this.byPresetShared = false;
    }
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

  /**
   * The instance's view: every field in one object of one shape (the rows a driver returns grow their fields one by
   * one, which spills them into a second object), with the strings rows repeat shared.
   */
  private toView(row: InstanceRow): InstanceView {
    return {
      id: row.id,
      presetId: this.strings.intern(row.presetId),
      state: codes.intern(row.state) as InstanceState,
      owner: this.strings.internNullable(row.owner),
      templateVersion: row.templateVersion,
      generation: row.generation,
      createdAt: row.createdAt,
      readyAt: row.readyAt,
      failedAt: row.failedAt,
      stoppedAt: row.stoppedAt,
      jobInFlight: false,
      nextAttemptAt: row.nextAttemptAt,
    };
  }

  /** The entry's view for the template as it is now: the same object while neither changed. */
  private presetView(entry: PresetEntry, templates: TemplateByName): PresetView {
    const template = templates.get(entry.view.template);
    const templateVersion = versionOf(template);
    const deleted = entry.rowDeleted || isDeleted(template);
    if (entry.view.templateVersion !== templateVersion || entry.view.deleted !== deleted) entry.view = { ...entry.view, templateVersion, deleted };
    return entry.view;
  }

  /** A kept entry after the shared strings were cleared: its strings become the shared copies again. */
  private reshare(entry: PresetEntry): PresetEntry {
    this.strings.intern(entry.view.id);
    this.strings.intern(entry.view.template);
    return entry;
  }

  private entry(row: PresetRowRead, templates: TemplateByName): PresetEntry {
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
    const rowDeleted = row.deleted_at !== null;
    const template = templates.get(row.template);
    const view: PresetView = {
      id: this.strings.intern(row.id),
      template: this.strings.intern(row.template),
      name: row.name,
      templateVersion: versionOf(template),
      generation: Number(row.generation),
      deleted: rowDeleted || isDeleted(template),
      paused: row.paused === 1,
      status: codes.intern(row.status) as PresetStatus,
      statusReason: this.strings.intern(row.status_reason),
      pool: spec.prebuilds
        ? { instances: spec.prebuilds.instances, ttlSeconds: spec.prebuilds.expiration_policy?.ttl ?? 0, scheduling }
        : null,
      invalidatedAt: row.invalidated_at === null ? null : Number(row.invalidated_at),
      backoffUntil: row.backoff_until === null ? null : Number(row.backoff_until),
    };
    return { rev: Number(row.rev), rowDeleted, view };
  }
}

interface TemplateRead {
  version: number;
  deleted_at: number | null;
}
type TemplateByName = Map<string, TemplateRead>;

/** The template's current version; 0 when it is gone. */
function versionOf(template: TemplateRead | undefined): number {
  return template ? Number(template.version) : 0;
}

/** A deleted template, or one that is gone: its presets count as deleted. */
function isDeleted(template: TemplateRead | undefined): boolean {
  return !template || template.deleted_at !== null;
}

/** Mirror lists are kept in creation order, the order a full read would give, so plans do not depend on history. */
function byCreation(a: InstanceView, b: InstanceView): number {
  return a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);
}
