import { randomUUID } from 'node:crypto';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import type { Db } from './db';
import { insertJobIntent } from './job-intents';
import { getMeta, metaKeys } from './meta';
import { parseStringMap } from './json-columns';
import type { InstanceRow } from './tables';
import type { InstanceRecord } from '../domain/records';
import type { InstanceState } from '../domain/states';
import { instanceRefProblem, presetIdParts } from '../domain/ids';
import { MIN_INSTANCE_ID_PREFIX } from '../domain/limits';
import { quote } from '../domain/text';

export function instanceRecord(row: InstanceRow): InstanceRecord {
  const { template, name } = presetIdParts(row.preset_id);
  return {
    id: row.id,
    name: row.name,
    presetId: row.preset_id,
    template,
    preset: name,
    state: row.state as InstanceState,
    owner: row.owner,
    templateVersion: Number(row.template_version),
    createdAt: Number(row.created_at),
    readyAt: row.ready_at === null ? null : Number(row.ready_at),
    claimedAt: row.claimed_at === null ? null : Number(row.claimed_at),
    attributes: parseStringMap(row.attributes),
    error: row.error,
  };
}

export interface BuildTarget {
  presetId: string;
  template: string;
  presetName: string;
  templateVersion: number;
  generation: number;
  parameters: Record<string, string>;
}

/**
 * What a pool build for this preset would be made from right now, read inside the caller's transaction, or null
 * when the preset may not build now (deleted, paused, globally paused, hard_limited, validation_failed, backing
 * off). The reconciler plans from a snapshot; this closes the gap between that snapshot and the intent.
 */
export async function currentBuildTarget(db: Db, presetId: string, now: number): Promise<BuildTarget | null> {
  if ((await getMeta(db, metaKeys.paused)) === '1') return null;
  const preset = await db.selectFrom('presets').selectAll().where('id', '=', presetId).executeTakeFirst();
  if (!preset || preset.deleted_at !== null || preset.paused === 1 || preset.status !== 'healthy') return null;
  if (preset.backoff_until !== null && Number(preset.backoff_until) > now) return null;
  const template = await db.selectFrom('templates').select(['version', 'deleted_at']).where('name', '=', preset.template).executeTakeFirst();
  if (!template || template.deleted_at !== null) return null;
  return buildTargetOf(preset, Number(template.version));
}

export function buildTargetOf(preset: { id: string; template: string; name: string; generation: number; spec: string }, templateVersion: number): BuildTarget {
  const spec = JSON.parse(preset.spec) as { parameters?: Record<string, string> };
  return {
    presetId: preset.id,
    template: preset.template,
    presetName: preset.name,
    templateVersion,
    generation: Number(preset.generation),
    parameters: spec.parameters ?? {},
  };
}

export interface Intent {
  instanceId: string;
  jobId: number;
}

/**
 * Writes the intent to build: the instance row (state `pending`) and its create job, before any driver runs.
 * After a crash the job is found and re-driven with the same instance id, so nothing is built that the
 * controller does not know about, and nothing is built twice.
 */
export async function insertCreateIntents(db: Db, target: BuildTarget, count: number, now: number, owner: string | null = null): Promise<Intent[]> {
  const intents: Intent[] = [];
  for (let i = 0; i < count; i++) {
    const id = randomUUID();
    await db
      .insertInto('instances')
      .values({
        id,
        name: `${target.presetName}-${id.replace(/-/g, '').slice(0, 12)}`,
        preset_id: target.presetId,
        template: target.template,
        template_version: target.templateVersion,
        generation: target.generation,
        state: 'pending',
        owner,
        attributes: '{}',
        parameters: JSON.stringify(target.parameters),
        error: '',
        created_at: now,
        ready_at: null,
        claimed_at: owner === null ? null : now,
        last_used_at: owner === null ? null : now,
        failed_at: null,
        stopped_at: null,
        deleting_at: null,
        deleted_at: null,
        next_attempt_at: null,
        delete_attempts: 0,
        updated_at: now,
      })
      .execute();
    intents.push({ instanceId: id, jobId: await insertJobIntent(db, id, target.presetId, 'create', now) });
  }
  return intents;
}

const deletableStates: InstanceState[] = ['ready', 'failed', 'stopped', 'deleting'];

/**
 * Claims the instance for deletion, conditionally: only an unclaimed instance in a deletable state moves
 * to `deleting`. A claim racing this update wins or loses atomically; the loser does nothing.
 */
export async function insertDeleteIntent(db: Db, instanceId: string, now: number): Promise<Intent | null> {
  const res = await db
    .updateTable('instances')
    .set({ state: 'deleting', deleting_at: now, updated_at: now })
    .where('id', '=', instanceId)
    .where('owner', 'is', null)
    .where('state', 'in', deletableStates)
    .executeTakeFirst();
  if (Number(res.numUpdatedRows) !== 1) return null;
  const inFlight = await db
    .selectFrom('jobs')
    .select('id')
    .where('instance_id', '=', instanceId)
    .where('state', 'in', ['pending', 'running'])
    .executeTakeFirst();
  if (inFlight) return null;
  const row = await db.selectFrom('instances').select('preset_id').where('id', '=', instanceId).executeTakeFirstOrThrow();
  return { instanceId, jobId: await insertJobIntent(db, instanceId, row.preset_id, 'delete', now) };
}

/** Pending intents that never reached a driver can simply be dropped: nothing exists outside the database. */
export async function cancelPendingIntents(db: Db, instanceIds: string[], now: number): Promise<number> {
  if (instanceIds.length === 0) return 0;
  const jobs = await db
    .updateTable('jobs')
    .set({ state: 'canceled', finished_at: now, error: 'canceled before the driver ran' })
    .where('instance_id', 'in', instanceIds)
    .where('state', '=', 'pending')
    .where('op', '=', 'create')
    .returning('instance_id')
    .execute();
  const canceled = jobs.map((j) => j.instance_id);
  if (canceled.length === 0) return 0;
  await db
    .updateTable('instances')
    .set({ state: 'deleted', deleted_at: now, updated_at: now, error: 'canceled before the driver ran' })
    .where('id', 'in', canceled)
    .where('state', '=', 'pending')
    .execute();
  return canceled.length;
}

export async function getInstance(db: Db, id: string): Promise<InstanceRow> {
  const row = await db.selectFrom('instances').selectAll().where('id', '=', id).executeTakeFirst();
  if (!row) throw new NotFoundError(`no instance "${id}"`);
  return row;
}

/** How many instances an ambiguous reference lists (the message says how many matched in all). */
const MAX_CANDIDATES = 5;

/** The first string after every string that starts with `prefix`, when `prefix` is ASCII: its last character plus one. */
function prefixEnd(prefix: string): string {
  return prefix.slice(0, -1) + String.fromCharCode(prefix.charCodeAt(prefix.length - 1) + 1);
}

/**
 * Instances whose id starts with `prefix` (ASCII, as the reference rule makes it): a range on the primary key, so a
 * search of its index. `LIKE 'prefix%'` would scan instead: SQLite's LIKE ignores case, which the key's index does
 * not, and "_" in a prefix would be a wildcard.
 */
export function instanceIdPrefixQuery(db: Db, prefix: string) {
  return db.selectFrom('instances').where('id', '>=', prefix).where('id', '<', prefixEnd(prefix));
}

/** Instances of that name (index instances_name). */
export function instanceNameQuery(db: Db, name: string) {
  return db.selectFrom('instances').where('name', '=', name);
}

function ambiguous(what: string, rows: InstanceRow[], total: number, advice: string): ConflictError {
  const listed = rows.slice(0, MAX_CANDIDATES).map((r) => `${r.id} (${r.preset_id}, ${r.state})`);
  const more = total > listed.length ? ` and ${total - listed.length} more` : '';
  return new ConflictError(`${what} matches ${total} instances: ${listed.join(', ')}${more}; ${advice}`);
}

/**
 * The instance `ref` refers to: the one with that id; else the one with that name; else the one whose id starts with
 * it, when it has at least MIN_INSTANCE_ID_PREFIX characters. Every instance the store still has counts, deleted and
 * archived ones included, as for a full id. A name or prefix that matches several is a ConflictError listing a few of
 * them; a prefix too short to look up is a ValidationError on `id`; nothing found is a NotFoundError.
 */
export async function resolveInstance(db: Db, ref: string): Promise<InstanceRow> {
  const problem = instanceRefProblem(ref);
  if (problem !== null) throw ValidationError.field(['id'], problem);
  const exact = await db.selectFrom('instances').selectAll().where('id', '=', ref).executeTakeFirst();
  if (exact) return exact;

  const countOf = async (q: ReturnType<typeof instanceNameQuery>, seen: number) =>
    seen <= MAX_CANDIDATES ? seen : Number((await q.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n);

  const named = await instanceNameQuery(db, ref).selectAll().orderBy('id').limit(MAX_CANDIDATES + 1).execute();
  if (named.length === 1) return named[0];
  if (named.length > 1) {
    const total = await countOf(instanceNameQuery(db, ref), named.length);
    throw ambiguous(`instance name ${quote(ref)}`, named, total, `give the id (or ${MIN_INSTANCE_ID_PREFIX} or more characters of it) instead`);
  }

  // The rule above allows only ASCII, so length counts characters.
  if (ref.length < MIN_INSTANCE_ID_PREFIX) {
    throw ValidationError.field(
      ['id'],
      `no instance has the id or name ${quote(ref)}, and an id prefix needs at least ${MIN_INSTANCE_ID_PREFIX} characters ` +
        `(this one has ${ref.length}): give more characters of the id`,
    );
  }
  const prefixed = await instanceIdPrefixQuery(db, ref).selectAll().orderBy('id').limit(MAX_CANDIDATES + 1).execute();
  if (prefixed.length === 1) return prefixed[0];
  if (prefixed.length > 1) {
    const total = await countOf(instanceIdPrefixQuery(db, ref), prefixed.length);
    throw ambiguous(`instance id prefix ${quote(ref)}`, prefixed, total, 'give more characters of the id');
  }
  throw new NotFoundError(`no instance has the id, id prefix or name ${quote(ref)}`);
}

export async function listInstances(db: Db, filter: { presetId?: string; state?: InstanceState }): Promise<InstanceRow[]> {
  let q = db.selectFrom('instances').selectAll();
  if (filter.presetId !== undefined) q = q.where('preset_id', '=', filter.presetId);
  if (filter.state !== undefined) q = q.where('state', '=', filter.state);
  else q = q.where('state', 'not in', ['deleted', 'archived']);
  return q.orderBy('created_at').orderBy('id').execute();
}
