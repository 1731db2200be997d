import type { Kysely } from 'kysely';
import type { ClaimRequest, ExplainReport, PrewarmService, StatusReport } from '../api/service';
import type { Clock } from '../clock';
import { resolveDriverProgram } from '../drivers/exec';
import type { Executor } from '../executor/executor';
import type { Logger } from '../log';
import { ConflictError, NotFoundError, ValidationError } from '../domain/errors';
import type { PresetSpec, TemplateSpec } from '../domain/specs';
import { formatPresetId } from '../domain/ids';
import { parsePresetSpec, parseTemplateSpec } from '../domain/validate';
import type { ControllerMetrics } from '../ops/metrics';
import type { Reconciler } from '../reconciler';
import { inTransaction } from '../store/db';
import { buildTargetOf, claimReadyInstance, getInstance, insertCreateIntents, instanceRecord, listInstances } from '../store/instances';
import { getMeta, metaKeys, setMeta } from '../store/meta';
import * as presets from '../store/presets';
import type { ClaimCall } from '../store/open';
import type { Database, InstanceRow } from '../store/schema';
import { ClaimBatcher } from './claim-batcher';
import * as templates from '../store/templates';
import { explainPreset } from './explain';
import type { InstanceRecord, PresetRecord, TemplateRecord, PutOptions } from '../domain/records';
import type { InstanceState } from '../domain/states';

/**
 * Claims come in bursts; one refill pass shortly after a burst is enough, and it keeps full snapshots from
 * running between every two claims.
 */
const refillDelayMs = 250;

export interface ControllerServiceDeps {
  db: Kysely<Database>;
  /** The batched claim path (store.claimMany); without it every claim runs alone through the query builder. */
  claimMany?: (calls: readonly ClaimCall[]) => Array<InstanceRow | undefined> | null;
  clock: Clock;
  reconciler: Reconciler;
  executor: Executor;
  driverDir: string;
  inFlightLimit: number;
  log: Logger;
  metrics?: ControllerMetrics;
}

/** The controller's use cases, behind the PrewarmService contract the API serves. */
export class ControllerService implements PrewarmService {
  private readonly claims: ClaimBatcher | undefined;

  constructor(private readonly deps: ControllerServiceDeps) {
    const one = (c: ClaimCall) => claimReadyInstance(deps.db, c, c.owner, c.now);
    this.claims = deps.claimMany ? new ClaimBatcher(deps.claimMany, one) : undefined;
  }

  async putTemplate(input: TemplateSpec, opts: PutOptions = {}): Promise<TemplateRecord> {
    const spec = parseTemplateSpec(input);
    try {
      resolveDriverProgram(this.deps.driverDir, spec.driver);
    } catch (err) {
      if (err instanceof ValidationError) throw err;
      throw ValidationError.field(['driver'], (err as Error).message);
    }
    const { record, changed } = await templates.putTemplate(this.deps.db, spec, this.deps.clock.now(), opts);
    if (changed) {
      this.deps.log.info('template stored', { template: record.name, version: record.version });
      this.deps.reconciler.kick();
    }
    return record;
  }

  async getTemplate(name: string): Promise<TemplateRecord> {
    return templates.templateRecord(await templates.getLiveTemplate(this.deps.db, name));
  }

  listTemplates(): Promise<TemplateRecord[]> {
    return templates.listTemplates(this.deps.db);
  }

  async deleteTemplate(name: string): Promise<void> {
    await templates.deleteTemplate(this.deps.db, name, this.deps.clock.now());
    this.deps.log.info('template deleted', { template: name });
    this.deps.reconciler.kick();
  }

  async putPreset(input: PresetSpec, opts: PutOptions = {}): Promise<PresetRecord> {
    const spec = parsePresetSpec(input);
    const { record, changed } = await presets.putPreset(this.deps.db, spec, this.deps.clock.now(), opts);
    if (changed) {
      this.deps.log.info('preset stored', { preset: record.id, generation: record.generation });
      this.deps.reconciler.kick();
    }
    return record;
  }

  async getPreset(template: string, name: string): Promise<PresetRecord> {
    return presets.presetRecord(await presets.getLivePreset(this.deps.db, formatPresetId(template, name)));
  }

  listPresets(template?: string): Promise<PresetRecord[]> {
    return presets.listPresets(this.deps.db, template);
  }

  async deletePreset(template: string, name: string): Promise<void> {
    await presets.deletePreset(this.deps.db, formatPresetId(template, name), this.deps.clock.now());
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
    const inFlight = await this.deps.db
      .selectFrom('jobs')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', 'in', ['pending', 'running'])
      .executeTakeFirstOrThrow();
    return { paused: report.paused, inFlight: Number(inFlight.n), inFlightLimit: this.deps.inFlightLimit, presets: report.presets };
  }

  async claim(req: ClaimRequest): Promise<InstanceRecord> {
    const { db, clock } = this.deps;
    const id = formatPresetId(req.template, req.preset);
    const owner = req.owner && req.owner.trim() !== '' ? req.owner.trim() : 'anonymous';
    const now = clock.now();
    // The hot path: one statement, no transaction needed (it is atomic by itself).
    const call = { presetId: id, template: req.template, owner, now };
    const claimed = this.claims ? await this.claims.claim(call) : await claimReadyInstance(db, call, owner, now);
    if (claimed) {
      this.deps.metrics?.claims.inc({ result: 'pool' });
      this.deps.log.info('instance claimed', { preset: id, instance: claimed.id, owner });
      this.deps.reconciler.kick(refillDelayMs);
      return instanceRecord(claimed);
    }
    const fallback = await inTransaction(db, async (trx) => {
      const preset = await presets.getLivePreset(trx, id);
      if (req.noFallback) return undefined;
      const template = await templates.getLiveTemplate(trx, preset.template);
      const [intent] = await insertCreateIntents(trx, buildTargetOf(preset, Number(template.version)), 1, now, owner);
      return { row: await getInstance(trx, intent.instanceId), jobId: intent.jobId };
    });
    if (!fallback) {
      this.deps.metrics?.claims.inc({ result: 'empty' });
      throw new ConflictError(`no ready instance in the pool of "${id}" (fallback build not requested)`);
    }
    // A person is waiting: the fallback build starts now, outside the reconcile budget.
    this.deps.executor.launch(fallback.jobId);
    this.deps.metrics?.claims.inc({ result: 'fallback' });
    this.deps.log.info('pool empty; started a fresh build for the claimer', { preset: id, instance: fallback.row.id, owner });
    this.deps.reconciler.kick();
    return instanceRecord(fallback.row);
  }

  async getInstance(id: string): Promise<InstanceRecord> {
    return instanceRecord(await getInstance(this.deps.db, id));
  }

  async listInstances(req: { presetId?: string; state?: InstanceState }): Promise<InstanceRecord[]> {
    return (await listInstances(this.deps.db, req)).map(instanceRecord);
  }

  async pause(id?: string): Promise<void> {
    const now = this.deps.clock.now();
    if (id === undefined) await setMeta(this.deps.db, metaKeys.paused, '1');
    else await presets.setPresetPaused(this.deps.db, id, true, now);
    this.deps.log.info('reconciliation paused', { preset: id ?? '*' });
  }

  async resume(id?: string): Promise<void> {
    const now = this.deps.clock.now();
    if (id === undefined) await setMeta(this.deps.db, metaKeys.paused, '0');
    else await presets.resumePreset(this.deps.db, id, now);
    this.deps.log.info('reconciliation resumed', { preset: id ?? '*' });
    this.deps.reconciler.kick();
  }

  async invalidate(template: string, name: string): Promise<{ invalidatedAt: number }> {
    const at = await presets.invalidatePreset(this.deps.db, formatPresetId(template, name), this.deps.clock.now());
    this.deps.log.info('preset invalidated; older instances will be replaced', { preset: formatPresetId(template, name) });
    this.deps.reconciler.kick();
    return { invalidatedAt: at };
  }

  /** For /readyz and tests. */
  async isGloballyPaused(): Promise<boolean> {
    return (await getMeta(this.deps.db, metaKeys.paused)) === '1';
  }
}
