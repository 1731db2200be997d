/**
 * The in-memory pool half of the API test double: templates, presets, instances, pause and claims (Maps, no
 * reconciliation), recording every call. notify-fake.ts adds notification targets, workspace-fake.ts the workspace
 * methods; api-fake.ts exports the whole double as FakeService.
 */
import { ConflictError, NotFoundError, ValidationError, type FieldError } from '../../controller/domain/errors';
import type { PresetSpec, TemplateSpec } from '../../controller/domain/specs';
import type { ClaimRequest, ExplainReport, StatusReport } from '../../controller/api/service';
import type { InstanceRecord, PoolEvent, PresetRecord, TemplateRecord } from '../../controller/domain/records';
import type { InstanceState } from '../../controller/domain/states';

export const TOKEN = 'pwt_test-token';
/** Near the top of the safe-integer range: proves int64 times are not squeezed through a double or int32. */
export const BIG_TIME = Number.MAX_SAFE_INTEGER - 1;

export class PoolFakeService {
  readonly calls: Array<{ method: string; args: unknown[] }> = [];
  readonly templates = new Map<string, TemplateRecord>();
  readonly presets = new Map<string, PresetRecord>();
  readonly instances = new Map<string, InstanceRecord>();
  globalPaused = false;
  explainReport: ExplainReport = { at: '2026-03-08T07:30:00.000Z', paused: false, presets: [] };
  /** What status() reports as recent driver operations. */
  events: PoolEvent[] = [];
  /** Set to make the next call throw this error (after recording the call). */
  failWith: Error | undefined;
  now = BIG_TIME;

  protected record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
    const err = this.failWith;
    if (err) {
      this.failWith = undefined;
      throw err;
    }
  }

  async putTemplate(spec: TemplateSpec): Promise<TemplateRecord> {
    this.record('putTemplate', spec);
    const old = this.templates.get(spec.name);
    const rec: TemplateRecord = {
      ...spec,
      id: spec.name,
      version: (old?.version ?? 0) + 1,
      createdAt: old?.createdAt ?? this.now,
      updatedAt: this.now,
    };
    this.templates.set(spec.name, rec);
    return rec;
  }
  async getTemplate(name: string): Promise<TemplateRecord> {
    this.record('getTemplate', name);
    const t = this.templates.get(name);
    if (!t) throw new NotFoundError(`template ${name} not found`);
    return t;
  }
  async listTemplates(): Promise<TemplateRecord[]> {
    this.record('listTemplates');
    return [...this.templates.values()];
  }
  async deleteTemplate(name: string): Promise<void> {
    this.record('deleteTemplate', name);
    if (!this.templates.has(name)) throw new NotFoundError(`template ${name} not found`);
    if ([...this.presets.values()].some((p) => p.template === name)) {
      throw new ConflictError(`template ${name} still has presets; delete them first`);
    }
    this.templates.delete(name);
  }

  async putPreset(spec: PresetSpec): Promise<PresetRecord> {
    this.record('putPreset', spec);
    const errors: FieldError[] = [];
    if ((spec.prebuilds?.instances ?? 0) < 0) errors.push({ path: ['prebuilds', 'instances'], message: 'must be >= 0' });
    spec.prebuilds?.scheduling?.schedule.forEach((s, i) => {
      if (!s.cron.startsWith('* ')) errors.push({ path: ['prebuilds', 'scheduling', 'schedule', i, 'cron'], message: 'the minute field must be "*"' });
    });
    if (errors.length) throw new ValidationError(errors);
    if (!this.templates.has(spec.template)) throw new NotFoundError(`template ${spec.template} not found`);
    const id = `${spec.template}/${spec.name}`;
    const old = this.presets.get(id);
    const rec: PresetRecord = {
      ...spec,
      id,
      generation: (old?.generation ?? 0) + 1,
      paused: false,
      status: 'healthy',
      statusReason: '',
      invalidatedAt: null,
      createdAt: old?.createdAt ?? this.now,
      updatedAt: this.now,
    };
    this.presets.set(id, rec);
    return rec;
  }
  async getPreset(template: string, name: string): Promise<PresetRecord> {
    this.record('getPreset', template, name);
    const p = this.presets.get(`${template}/${name}`);
    if (!p) throw new NotFoundError(`preset ${template}/${name} not found`);
    return p;
  }
  async listPresets(template?: string): Promise<PresetRecord[]> {
    this.record('listPresets', template);
    return [...this.presets.values()].filter((p) => template === undefined || p.template === template);
  }
  async deletePreset(template: string, name: string): Promise<void> {
    this.record('deletePreset', template, name);
    if (!this.presets.delete(`${template}/${name}`)) throw new NotFoundError(`preset ${template}/${name} not found`);
  }

  async explain(req: { at?: number; presetId?: string }): Promise<ExplainReport> {
    this.record('explain', req);
    const presets = this.explainReport.presets.filter((p) => req.presetId === undefined || `${p.template}/${p.preset}` === req.presetId);
    return { ...this.explainReport, at: req.at === undefined ? this.explainReport.at : new Date(req.at).toISOString(), presets };
  }
  async status(req: { presetId?: string }): Promise<StatusReport> {
    this.record('status', req);
    return { at: this.explainReport.at, paused: this.globalPaused, inFlight: 2, inFlightLimit: 8, presets: this.explainReport.presets, events: this.events };
  }

  async claim(req: ClaimRequest): Promise<InstanceRecord> {
    this.record('claim', req);
    const id = `${req.template}/${req.preset}`;
    if (!this.presets.has(id)) throw new NotFoundError(`preset ${id} not found`);
    const free = [...this.instances.values()].find((i) => i.presetId === id && i.state === 'ready' && i.owner === null);
    if (!free) {
      if (req.noFallback) throw new ConflictError(`no ready instance in ${id}`);
      const fresh = this.addInstance({ presetId: id, state: 'pending', owner: req.owner ?? 'anonymous' });
      return fresh;
    }
    const claimed: InstanceRecord = { ...free, state: 'claimed', owner: req.owner ?? 'anonymous', claimedAt: this.now };
    this.instances.set(claimed.id, claimed);
    return claimed;
  }
  async getInstance(id: string): Promise<InstanceRecord> {
    this.record('getInstance', id);
    const i = this.instances.get(id);
    if (!i) throw new NotFoundError(`instance ${id} not found`);
    return i;
  }
  async listInstances(req: { presetId?: string; state?: InstanceState }): Promise<InstanceRecord[]> {
    this.record('listInstances', req);
    return [...this.instances.values()].filter(
      (i) => (req.presetId === undefined || i.presetId === req.presetId) && (req.state === undefined || i.state === req.state),
    );
  }

  async pause(presetId?: string): Promise<void> {
    this.record('pause', presetId);
    this.setPaused(presetId, true);
  }
  async resume(presetId?: string): Promise<void> {
    this.record('resume', presetId);
    this.setPaused(presetId, false);
  }
  async invalidate(template: string, name: string): Promise<{ invalidatedAt: number }> {
    this.record('invalidate', template, name);
    const p = this.presets.get(`${template}/${name}`);
    if (!p) throw new NotFoundError(`preset ${template}/${name} not found`);
    p.invalidatedAt = this.now;
    return { invalidatedAt: this.now };
  }

  private setPaused(presetId: string | undefined, paused: boolean): void {
    if (presetId === undefined) {
      this.globalPaused = paused;
      return;
    }
    const p = this.presets.get(presetId);
    if (!p) throw new NotFoundError(`preset ${presetId} not found`);
    p.paused = paused;
  }

  /** Test setup, not recorded as a call. */
  addInstance(init: Partial<InstanceRecord> & { presetId: string }): InstanceRecord {
    const [template, preset] = init.presetId.split('/');
    const n = this.instances.size + 1;
    const rec: InstanceRecord = {
      id: `i-${n}`,
      name: `${preset}-${n}`,
      template,
      preset,
      state: 'ready',
      owner: null,
      templateVersion: 1,
      createdAt: this.now - 1000,
      readyAt: this.now - 500,
      claimedAt: null,
      attributes: {},
      error: '',
      ...init,
    };
    this.instances.set(rec.id, rec);
    return rec;
  }
}

