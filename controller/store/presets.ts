import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import type { PresetSpec } from '../domain/specs';
import { formatPresetId } from '../domain/ids';
import { type Db, inTransaction } from './db';
import { canonicalJson } from './json-columns';
import type { Database, PresetRow, PresetsTable } from './tables';
import type { PresetRecord, PutOptions } from '../domain/records';
import type { PresetStatus } from '../domain/states';

export function presetRecord(row: Omit<PresetRow, 'rev'>): PresetRecord {
  const spec = JSON.parse(row.spec) as PresetSpec;
  return {
    ...spec,
    id: row.id,
    generation: Number(row.generation),
    paused: row.paused === 1,
    status: row.status as PresetStatus,
    statusReason: row.status_reason,
    invalidatedAt: row.invalidated_at === null ? null : Number(row.invalidated_at),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
}

export async function findPreset(db: Db, id: string): Promise<PresetRow | undefined> {
  return db.selectFrom('presets').selectAll().where('id', '=', id).executeTakeFirst();
}

export async function getLivePreset(db: Db, id: string): Promise<PresetRow> {
  const row = await findPreset(db, id);
  if (!row || row.deleted_at !== null) throw new NotFoundError(`no preset "${id}"`);
  return row;
}

/**
 * Creates or updates a preset. Identical content is a no-op. A change to the build inputs (parameters) bumps
 * the generation, so instances built with the old parameters are replaced; any change lifts
 * hard_limited/validation_failed, because the cause may be fixed.
 */
export async function putPreset(
  db: Kysely<Database>,
  spec: PresetSpec,
  now: number,
  opts: PutOptions = {},
): Promise<{ record: PresetRecord; changed: boolean }> {
  return inTransaction(db, async (trx) => {
    const template = await trx.selectFrom('templates').select(['name', 'deleted_at']).where('name', '=', spec.template).executeTakeFirst();
    if (!template || template.deleted_at !== null) {
      throw ValidationError.field(['template'], `no template named "${spec.template}"; create it first`);
    }
    const id = formatPresetId(spec.template, spec.name);
    if (opts.createOnly) {
      const live = await trx.selectFrom('presets').select('id').where('id', '=', id).where('deleted_at', 'is', null).executeTakeFirst();
      if (live) {
        throw new ConflictError(`preset "${id}" already exists; import it (terraform import prewarm_preset.<name> ${id}) instead of creating it`);
      }
    }
    if (spec.default) {
      // At most one default per template, kept by moving it: the preset put as default takes it from the
      // previous one in the same transaction. (Refusing instead made Terraform applies that switch the default
      // between two presets fail or succeed depending on the order the two updates ran in.)
      const others = await trx
        .selectFrom('presets')
        .select(['id', 'spec'])
        .where('template', '=', spec.template)
        .where('is_default', '=', 1)
        .where('deleted_at', 'is', null)
        .where('id', '!=', id)
        .execute();
      for (const other of others) {
        const otherSpec = { ...(JSON.parse(other.spec) as PresetSpec), default: false };
        await trx.updateTable('presets').set({ is_default: 0, spec: canonicalJson(otherSpec), updated_at: now }).where('id', '=', other.id).execute();
      }
    }
    const specJson = canonicalJson(spec);
    const existing = await findPreset(trx, id);
    const live = existing && existing.deleted_at === null;
    if (live && existing.spec === specJson) return { record: presetRecord(existing), changed: false };

    const previous = existing ? (JSON.parse(existing.spec) as PresetSpec) : undefined;
    const inputsChanged = !live || canonicalJson(previous?.parameters ?? {}) !== canonicalJson(spec.parameters);
    const row: Omit<PresetsTable, 'rev'> = {
      id,
      template: spec.template,
      name: spec.name,
      spec: specJson,
      is_default: spec.default ? 1 : 0,
      generation: existing ? Number(existing.generation) + (inputsChanged ? 1 : 0) : 1,
      paused: live ? existing.paused : 0,
      status: 'healthy',
      status_reason: '',
      invalidated_at: live ? existing.invalidated_at : null,
      consecutive_failures: 0,
      backoff_until: null,
      created_at: live ? Number(existing.created_at) : now,
      updated_at: now,
      deleted_at: null,
    };
    if (existing) await trx.updateTable('presets').set(row).where('id', '=', id).execute();
    else await trx.insertInto('presets').values(row).execute();
    return { record: presetRecord(row), changed: true };
  });
}

export async function listPresets(db: Db, template?: string): Promise<PresetRecord[]> {
  let q = db.selectFrom('presets').selectAll().where('deleted_at', 'is', null);
  if (template !== undefined) q = q.where('template', '=', template);
  const rows = await q.orderBy('template').orderBy('name').execute();
  return rows.map(presetRecord);
}

/** Soft delete: the reconciler then retires the pool (desired 0) and the row is purged once it is empty. */
export async function deletePreset(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    await getLivePreset(trx, id);
    await trx.updateTable('presets').set({ deleted_at: now, updated_at: now, is_default: 0 }).where('id', '=', id).execute();
  });
}

export async function setPresetPaused(db: Db, id: string, paused: boolean, now: number): Promise<void> {
  await getLivePreset(db, id);
  await db.updateTable('presets').set({ paused: paused ? 1 : 0, updated_at: now }).where('id', '=', id).execute();
}

/** An operator's resume: also lifts the failure states and the backoff, so creates start on the next tick. */
export async function resumePreset(db: Kysely<Database>, id: string, now: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    await getLivePreset(trx, id);
    await trx
      .updateTable('presets')
      .set({ paused: 0, status: 'healthy', status_reason: '', consecutive_failures: 0, backoff_until: null, updated_at: now })
      .where('id', '=', id)
      .execute();
  });
}

export async function invalidatePreset(db: Kysely<Database>, id: string, now: number): Promise<number> {
  await inTransaction(db, async (trx) => {
    await getLivePreset(trx, id);
    await trx.updateTable('presets').set({ invalidated_at: now, updated_at: now }).where('id', '=', id).execute();
  });
  return now;
}
