/**
 * data "prewarm_preset": the live status of one preset's pool, from the controller's status report (the same
 * numbers `prewarm explain` prints for the preset).
 */
import type { ExplainPreset } from '../../controller/api/service';
import { CtyNumber, isUnknown, type CtyObject } from '../values';
import { PRESET_DATA_SCHEMA, PRESET_TYPE, type SchemaDef } from '../schema';
import { DiagnosticsError, errorDiag, invalidValueDiag, type Diagnostic } from '../diagnostics';
import type { Api } from '../api';
import { nameProblem } from '../../controller/domain/names';

export interface DataSourceImpl {
  readonly typeName: string;
  readonly schema: SchemaDef;
  validate(config: CtyObject): Diagnostic[];
  /** The config with every computed attribute filled in, wholly known; throws DiagnosticsError. */
  read(api: Api, config: CtyObject): Promise<CtyObject>;
}

export function presetDataState(config: CtyObject, p: ExplainPreset): CtyObject {
  return {
    ...config,
    id: `${p.template}/${p.preset}`,
    desired: CtyNumber.from(p.desired),
    ready: CtyNumber.from(p.ready),
    starting: CtyNumber.from(p.starting),
    status: p.status,
    backoff_until: p.backoff_until ?? null,
  };
}

export const presetDataSource: DataSourceImpl = {
  typeName: PRESET_TYPE,
  schema: PRESET_DATA_SCHEMA,

  validate(config) {
    const diags: Diagnostic[] = [];
    for (const name of ['template', 'name'] as const) {
      const v = config[name];
      if (isUnknown(v)) continue;
      const problem = v === null ? 'is required' : nameProblem(v);
      if (problem !== null) diags.push(invalidValueDiag([{ attr: name }], problem));
    }
    return diags;
  },

  async read(api, config) {
    const template = config.template;
    const name = config.name;
    if (typeof template !== 'string' || typeof name !== 'string') {
      throw new DiagnosticsError([errorDiag('Cannot read prewarm_preset', 'template and name must be known strings')]);
    }
    const presetId = `${template}/${name}`;
    const action = `read the status of preset ${presetId}`;
    const report = await api.callAllowNotFound(action, (c) => c.status({ presetId }));
    // Filter by hand as well: the status call may answer with every preset.
    const found = report?.presets.find((p) => p.template === template && p.preset === name);
    if (found === undefined) {
      throw new DiagnosticsError([
        errorDiag(
          `Preset ${presetId} not found`,
          `The controller has no preset "${name}" in template "${template}". Create it (resource "prewarm_preset") or check the names.`,
        ),
      ]);
    }
    return presetDataState(config, found);
  },
};
