import type { Kysely } from 'kysely';
import { ConflictError, NotFoundError } from '../domain/errors';
import { lifecyclePolicyOf, type LifecyclePolicySpec } from '../domain/lifecycle-policy';
import type { TemplateSpec } from '../domain/specs';
import { quote } from '../domain/text';
import { type Db, inTransaction } from './db';
import { canonicalJson, parseStringMap } from './json-columns';
import type { Database, PolicyColumns, TemplatesTable } from './tables';
import type { TemplateRecord, PutOptions } from '../domain/records';

export function templateRecord(row: TemplatesTable): TemplateRecord {
  const record: TemplateRecord = {
    id: row.name,
    name: row.name,
    driver: row.driver,
    config: parseStringMap(row.config),
    version: Number(row.version),
    createdAt: Number(row.created_at),
    updatedAt: Number(row.updated_at),
  };
  // Absent rather than empty, so a template without a policy reads back exactly as it was put.
  if (row.lifecycle_policy !== '{}') record.lifecycle_policy = JSON.parse(row.lifecycle_policy) as LifecyclePolicySpec;
  return record;
}

/** The policy columns of a template row: canonical JSON plus the milliseconds the claim statement copies. */
function policyColumnsOf(spec: TemplateSpec): Pick<TemplatesTable, 'lifecycle_policy' | keyof PolicyColumns> {
  const policy = lifecyclePolicyOf(spec.lifecycle_policy);
  return {
    lifecycle_policy: canonicalJson(spec.lifecycle_policy ?? {}),
    autostop_after_ms: policy.autostopAfterMs,
    autostop_reminder_ms: policy.autostopReminderMs,
    stopped_ttl_ms: policy.stoppedTtlMs,
    dormant_after_ms: policy.dormantAfterMs,
    dormant_delete_after_ms: policy.dormantDeleteAfterMs,
    auto_destroy_reminder_ms: policy.autoDestroyReminderMs,
  };
}

export async function findTemplate(db: Db, name: string): Promise<TemplatesTable | undefined> {
  return db.selectFrom('templates').selectAll().where('name', '=', name).executeTakeFirst();
}

export async function getLiveTemplate(db: Db, name: string): Promise<TemplatesTable> {
  const row = await findTemplate(db, name);
  if (!row || row.deleted_at !== null) throw new NotFoundError(`no template named "${name}"`);
  return row;
}

/**
 * Creates or updates a template. Re-applying identical content changes nothing (so `terraform apply` twice
 * does not roll the pools); any real change bumps the version, which makes older instances outdated, and
 * lifts hard_limited/validation_failed on its presets because the cause may be fixed.
 */
export async function putTemplate(
  db: Kysely<Database>,
  spec: TemplateSpec,
  now: number,
  opts: PutOptions = {},
): Promise<{ record: TemplateRecord; changed: boolean }> {
  return inTransaction(db, async (trx) => {
    const config = canonicalJson(spec.config);
    const existing = await findTemplate(trx, spec.name);
    if (opts.createOnly && existing && existing.deleted_at === null) {
      throw new ConflictError(`template "${spec.name}" already exists; import it (terraform import prewarm_template.<name> ${spec.name}) instead of creating it`);
    }
    const policy = policyColumnsOf(spec);
    if (existing && existing.deleted_at === null && existing.driver === spec.driver && existing.config === config) {
      if (existing.lifecycle_policy === policy.lifecycle_policy) return { record: templateRecord(existing), changed: false };
      // The policy applies to later claims only and builds nothing: no new version, so no pool instance becomes
      // outdated and nothing is rebuilt.
      const updated: TemplatesTable = { ...existing, ...policy, updated_at: now };
      await trx.updateTable('templates').set({ ...policy, updated_at: now }).where('name', '=', spec.name).execute();
      return { record: templateRecord(updated), changed: true };
    }
    const version = existing ? Number(existing.version) + 1 : 1;
    const row: TemplatesTable = {
      name: spec.name,
      driver: spec.driver,
      config,
      version,
      created_at: existing && existing.deleted_at === null ? Number(existing.created_at) : now,
      updated_at: now,
      deleted_at: null,
      ...policy,
    };
    if (existing) {
      await trx.updateTable('templates').set(row).where('name', '=', spec.name).execute();
    } else {
      await trx.insertInto('templates').values(row).execute();
    }
    await trx
      .insertInto('template_versions')
      .values({ template: spec.name, version, driver: spec.driver, config, created_at: now })
      .execute();
    await trx
      .updateTable('presets')
      .set({ status: 'healthy', status_reason: '', consecutive_failures: 0, backoff_until: null, updated_at: now })
      .where('template', '=', spec.name)
      .execute();
    return { record: templateRecord(row), changed: true };
  });
}

export async function listTemplates(db: Db): Promise<TemplateRecord[]> {
  const rows = await db.selectFrom('templates').selectAll().where('deleted_at', 'is', null).orderBy('name').execute();
  return rows.map(templateRecord);
}

/** How many of the presets that hold a template a refused delete names (the message says how many there are). */
const HOLDERS_LISTED = 5;

/**
 * Soft delete: the row stays (invisible to the API) until every instance built from it is gone, because
 * deleting those instances needs the template's driver and config. Refused while live presets use the template,
 * naming them (the first few by name, and how many) and what to do.
 */
export async function deleteTemplate(db: Kysely<Database>, name: string, now: number): Promise<void> {
  await inTransaction(db, async (trx) => {
    await getLiveTemplate(trx, name);
    const holders = trx.selectFrom('presets').where('template', '=', name).where('deleted_at', 'is', null);
    const listed = (await holders.select('id').orderBy('name').limit(HOLDERS_LISTED + 1).execute()).map((p) => p.id);
    if (listed.length > 0) {
      const total =
        listed.length > HOLDERS_LISTED
          ? Number((await holders.select((eb) => eb.fn.countAll<number>().as('n')).executeTakeFirstOrThrow()).n)
          : listed.length;
      throw new ConflictError(templateInUse(name, listed.slice(0, HOLDERS_LISTED), total));
    }
    await trx.updateTable('templates').set({ deleted_at: now, updated_at: now }).where('name', '=', name).execute();
  });
}

function templateInUse(name: string, listed: string[], total: number): string {
  const more = total > listed.length ? ` and ${total - listed.length} more` : '';
  const one = total === 1;
  return (
    `template ${quote(name)} is still used by ${total} preset${one ? '' : 's'}: ${listed.join(', ')}${more}; ` +
    `delete ${one ? 'that preset' : 'those presets'} first (prewarm preset delete ${listed[0]}${one ? '' : ', and so on for each'}, ` +
    `or remove ${one ? 'it' : 'them'} from the Terraform configuration that declares ${one ? 'it' : 'them'}), then the template`
  );
}

export async function templateVersion(db: Db, template: string, version: number) {
  return db
    .selectFrom('template_versions')
    .selectAll()
    .where('template', '=', template)
    .where('version', '=', version)
    .executeTakeFirst();
}
