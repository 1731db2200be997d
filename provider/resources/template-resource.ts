/**
 * resource "prewarm_template": name (replace), driver, config → the controller's templates.
 *
 * Plan: `id` is the name (known whenever the name is); `version` is unknown on create and whenever driver or
 * config change (the controller bumps it on every change), otherwise the prior version: a change of the
 * lifecycle_policy block alone is applied without a new version (it does not rebuild the pool).
 *
 * Read: the controller stores no policy for an empty `lifecycle_policy {}` block (it turns nothing on), so an
 * empty block in the prior state stays; a duration the controller spells differently but means the same keeps the
 * prior spelling.
 */
import { parseTemplateSpec, validateTemplateFields } from '../../controller/domain/validate';
import { CtyNumber, equalValues, unknown, type CtyObject, type CtyValue } from '../values';
import { TEMPLATE_SCHEMA, TEMPLATE_TYPE } from '../schema';
import { DiagnosticsError, errorDiag, type Diagnostic } from '../diagnostics';
import { toCtyMap } from '../convert';
import { blockAt, keepNullIfEmpty, normalizeBlocks, replacePaths, resolveUnknowns, specFromPlanned, validateWith, type ResourceImpl } from './common';
import { nameProblem } from '../../controller/domain/names';
import type { TemplateRecord } from '../../controller/domain/records';
import { LIFECYCLE_POLICY_ATTRS } from '../../controller/domain/lifecycle-policy';
import { parseLifecycleDuration } from '../../controller/domain/lifecycle-duration';

const block = TEMPLATE_SCHEMA.block;
const attr = block.attributes;

function sameLifecycleDuration(a: string, b: string): boolean {
  try {
    return parseLifecycleDuration(a) === parseLifecycleDuration(b);
  } catch {
    return false;
  }
}

/** The lifecycle_policy block list of a record; `like` is the prior state's (or planned value's) block, if any. */
function lifecyclePolicyState(rec: TemplateRecord, like: CtyObject | null): CtyValue[] {
  const spec = rec.lifecycle_policy ?? {};
  const set = LIFECYCLE_POLICY_ATTRS.filter((a) => spec[a] !== undefined);
  if (set.length === 0) {
    const likeEmpty = like !== null && LIFECYCLE_POLICY_ATTRS.every((a) => like[a] === null || like[a] === undefined);
    return likeEmpty ? [Object.fromEntries(LIFECYCLE_POLICY_ATTRS.map((a) => [a, null]))] : [];
  }
  const el: CtyObject = {};
  for (const a of LIFECYCLE_POLICY_ATTRS) {
    const v = spec[a];
    const was = like?.[a];
    el[a] = v === undefined ? null : typeof was === 'string' && sameLifecycleDuration(v, was) ? was : v;
  }
  return [el];
}

/** State from a controller record. `like` (prior state or planned value) decides null vs empty for `config`. */
export function templateState(rec: TemplateRecord, like: CtyObject | null): CtyObject {
  const config = toCtyMap(rec.config);
  return {
    id: rec.id,
    name: rec.name,
    driver: rec.driver,
    config: keepNullIfEmpty(config, config.size === 0, like?.config),
    version: CtyNumber.from(rec.version),
    lifecycle_policy: lifecyclePolicyState(rec, blockAt(like, 'lifecycle_policy')),
  };
}

/** The template name a state refers to (an import stub may only have the id). */
function stateName(state: CtyObject): string {
  if (typeof state.name === 'string') return state.name;
  if (typeof state.id === 'string') return state.id;
  throw new DiagnosticsError([errorDiag('Invalid prewarm_template state', 'the state has neither a name nor an id')]);
}

/**
 * The controller refuses to delete a template while live presets use it, and its message names them. Terraform
 * deletes a configuration's presets before the template they refer to, so presets still there when it deletes the
 * template are, almost always, someone else's: say so, and what to do about them.
 */
function templateInUseDiag(name: string, message: string): Diagnostic {
  return errorDiag(
    `Cannot delete template ${name}: presets still use it`,
    `The prewarm controller refused: ${message}.\n\n` +
      'Terraform is not destroying those presets together with this template, so they belong to another Terraform ' +
      'configuration or were made with the prewarm CLI: remove them from that configuration and apply it, or delete them ' +
      'with "prewarm preset delete TEMPLATE/NAME"; then run this again. If this configuration declares them, set their ' +
      `template argument to a reference (prewarm_template.<resource name>.name) rather than the literal ${JSON.stringify(name)}, ` +
      'so that Terraform deletes them before the template.',
  );
}

export const templateResource: ResourceImpl = {
  typeName: TEMPLATE_TYPE,
  schema: TEMPLATE_SCHEMA,

  validate(config) {
    return validateWith(config, block, 'prewarm_template', validateTemplateFields);
  },

  plan({ prior, proposed }) {
    if (proposed === null) return { planned: null, requiresReplace: [] };
    const planned = normalizeBlocks({ ...proposed }, block);
    planned.id = typeof planned.name === 'string' ? planned.name : unknown();
    const requiresReplace = replacePaths(prior, planned, block);
    // Strict comparison on purpose: null config vs {} counts as a change, because apply then calls the API and
    // the controller may bump the version; a known planned version would then be inconsistent after apply.
    const changed =
      prior === null ||
      requiresReplace.length > 0 ||
      !equalValues(planned.driver, prior.driver, attr.driver.type) ||
      !equalValues(planned.config, prior.config, attr.config.type);
    planned.version = changed ? unknown() : prior.version;
    return { planned, requiresReplace };
  },

  async apply(api, prior, planned) {
    const spec = specFromPlanned(planned, block, 'prewarm_template', parseTemplateSpec);
    const rec = await api.call(`${prior === null ? 'create' : 'update'} template ${spec.name}`, (c) => c.putTemplate(spec, { createOnly: prior === null }));
    return resolveUnknowns(planned, templateState(rec, planned)) as CtyObject;
  },

  async delete(api, prior) {
    const name = stateName(prior);
    await api.callAllowNotFound(`delete template ${name}`, (c) => c.deleteTemplate(name), (message) => templateInUseDiag(name, message));
  },

  async read(api, prior) {
    const name = stateName(prior);
    const rec = await api.callAllowNotFound(`read template ${name}`, (c) => c.getTemplate(name));
    return rec === undefined ? null : templateState(rec, prior);
  },

  importState(id) {
    const problem = nameProblem(id);
    if (problem !== null) {
      throw new DiagnosticsError([
        errorDiag(
          'Invalid import ID',
          `A prewarm_template is imported by its name, e.g. terraform import prewarm_template.devbox devbox; the ID ${problem}.`,
        ),
      ]);
    }
    return { id, name: id, driver: null, config: null, version: null, lifecycle_policy: [] };
  },
};
