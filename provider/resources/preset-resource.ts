/**
 * resource "prewarm_preset": template + name (both replace), description, default, parameters and the
 * prebuilds { expiration_policy, scheduling { schedule… } } blocks → the controller's presets.
 *
 * Plan: the only computed attribute is `id` (`TEMPLATE/NAME`, known when both parts are). Everything else is the
 * configuration as Terraform proposed it, with absent blocks as empty lists.
 *
 * Read: the controller reports unset optional values as '' / false / {}; those stay null when the prior state had
 * null (see keepNullIfEmpty), and a lead_time the controller spells differently but means the same duration
 * keeps the prior spelling.
 */
import { parsePresetSpec, validatePresetFields } from '../../controller/domain/validate';
import type { PrebuildsSpec, SchedulingSpec } from '../../controller/domain/specs';
import { parseDuration } from '../../controller/domain/duration';
import { CtyNumber, unknown, type CtyObject, type CtyValue } from '../values';
import { PRESET_SCHEMA, PRESET_TYPE } from '../schema';
import { DiagnosticsError, errorDiag } from '../diagnostics';
import { toCtyMap } from '../convert';
import { blockAt, keepNullIfEmpty, normalizeBlocks, replacePaths, resolveUnknowns, specFromPlanned, validateWith, type ResourceImpl } from './common';
import { nameProblem } from '../../controller/domain/names';
import type { PresetRecord } from '../../controller/domain/records';
import { parsePresetId } from '../../controller/domain/ids';
import { quote } from '../../controller/domain/text';

const block = PRESET_SCHEMA.block;
const WHAT = 'prewarm_preset';

function sameDuration(a: string, b: string): boolean {
  try {
    return parseDuration(a) === parseDuration(b);
  } catch {
    return false;
  }
}

function schedulingState(s: SchedulingSpec, like: CtyObject | null): CtyObject {
  const likeLead = like?.lead_time;
  let leadTime: CtyValue = s.lead_time ?? null;
  if (typeof leadTime === 'string' && typeof likeLead === 'string' && sameDuration(leadTime, likeLead)) leadTime = likeLead;
  return {
    timezone: s.timezone,
    lead_time: leadTime,
    schedule: s.schedule.map((x) => ({ cron: x.cron, instances: CtyNumber.from(x.instances) })),
  };
}

function prebuildsState(p: PrebuildsSpec, like: CtyObject | null): CtyObject {
  return {
    instances: CtyNumber.from(p.instances),
    expiration_policy: p.expiration_policy ? [{ ttl: CtyNumber.from(p.expiration_policy.ttl) }] : [],
    scheduling: p.scheduling ? [schedulingState(p.scheduling, blockAt(like, 'scheduling'))] : [],
  };
}

/** State from a controller record; `like` (prior state or planned value) decides null vs empty. */
export function presetState(rec: PresetRecord, like: CtyObject | null): CtyObject {
  const parameters = toCtyMap(rec.parameters);
  return {
    id: rec.id,
    template: rec.template,
    name: rec.name,
    description: keepNullIfEmpty(rec.description, rec.description === '', like?.description),
    default: keepNullIfEmpty(rec.default, rec.default === false, like?.default),
    parameters: keepNullIfEmpty(parameters, parameters.size === 0, like?.parameters),
    prebuilds: rec.prebuilds ? [prebuildsState(rec.prebuilds, blockAt(like, 'prebuilds'))] : [],
  };
}

/** Which preset a state refers to (an import stub may only have the id). */
function stateIds(state: CtyObject): { template: string; name: string } {
  if (typeof state.template === 'string' && typeof state.name === 'string') return { template: state.template, name: state.name };
  const fromId = typeof state.id === 'string' ? parsePresetId(state.id) : undefined;
  if (fromId) return fromId;
  throw new DiagnosticsError([errorDiag('Invalid prewarm_preset state', 'the state has neither template and name nor a TEMPLATE/NAME id')]);
}

export const presetResource: ResourceImpl = {
  typeName: PRESET_TYPE,
  schema: PRESET_SCHEMA,

  validate(config) {
    return validateWith(config, block, WHAT, validatePresetFields);
  },

  plan({ prior, proposed }) {
    if (proposed === null) return { planned: null, requiresReplace: [] };
    const planned = normalizeBlocks({ ...proposed }, block);
    planned.id =
      typeof planned.template === 'string' && typeof planned.name === 'string' ? `${planned.template}/${planned.name}` : unknown();
    return { planned, requiresReplace: replacePaths(prior, planned, block) };
  },

  async apply(api, prior, planned) {
    const spec = specFromPlanned(planned, block, WHAT, parsePresetSpec);
    const action = `${prior === null ? 'create' : 'update'} preset ${spec.template}/${spec.name}`;
    // A create never takes over an existing preset (another configuration's, or the new half of a
    // create_before_destroy replace under the same name): the controller refuses and says to import it.
    const rec = await api.call(action, (c) => c.putPreset(spec, { createOnly: prior === null }));
    return resolveUnknowns(planned, presetState(rec, planned)) as CtyObject;
  },

  async delete(api, prior) {
    const { template, name } = stateIds(prior);
    await api.callAllowNotFound(`delete preset ${template}/${name}`, (c) => c.deletePreset(template, name));
  },

  async read(api, prior) {
    const { template, name } = stateIds(prior);
    const rec = await api.readPreset(`read preset ${template}/${name}`, template, name);
    return rec === undefined ? null : presetState(rec, prior);
  },

  importState(id) {
    const ids = parsePresetId(id);
    if (ids === undefined) {
      throw new DiagnosticsError([
        errorDiag(
          'Invalid import ID',
          `A prewarm_preset is imported by TEMPLATE/NAME, e.g. terraform import prewarm_preset.us_nix devbox/us-nix; got ${quote(id)}.`,
        ),
      ]);
    }
    return {
      id: `${ids.template}/${ids.name}`,
      template: ids.template,
      name: ids.name,
      description: null,
      default: null,
      parameters: null,
      prebuilds: [],
    };
  },
};
