/**
 * resource "prewarm_notification_target": a webhook the controller delivers notifications to.
 *
 * Validation is the domain's validateTargetFields, the same the API and `prewarm notify target put` use, run at plan
 * time with unknown values skipped, each problem attached to its attribute so Terraform shows the file and line.
 *
 * Plan: `id` is the name. `format` and `enabled` are optional+computed: left out of the configuration they are
 * planned as their defaults (json, true) rather than as the prior value Terraform proposes, so removing them from
 * the configuration goes back to the default instead of keeping whatever was applied last.
 *
 * Create puts with createOnly, so a name that exists (made with the CLI, or by another configuration) is refused
 * instead of silently taken over; update is a plain put (create-or-replace).
 *
 * Read: the controller never returns the secret, so the state keeps the one from the prior state (null after an
 * import, until the next apply sets it from the configuration). Everything else comes from the controller, so
 * changes made outside Terraform show up in the next plan. A target the controller does not know is gone.
 */
import { parseTargetSpec, validateTargetFields, type NotificationTargetRecord } from '../../controller/domain/notification-target';
import { nameProblem } from '../../controller/domain/names';
import { quote } from '../../controller/domain/text';
import { unknown, type CtyObject, type CtyValue } from '../values';
import { NOTIFICATION_TARGET_SCHEMA, NOTIFICATION_TARGET_TYPE } from '../schema';
import { DiagnosticsError, errorDiag, type Diagnostic } from '../diagnostics';
import { replacePaths, resolveUnknowns, specFromPlanned, validateWith, type ResourceImpl } from './common';

const block = NOTIFICATION_TARGET_SCHEMA.block;
const WHAT = NOTIFICATION_TARGET_TYPE;

/** What the domain fills in for an absent format or enabled; planned as such so that the plan shows them. */
const DEFAULTS = { format: 'json', enabled: true } as const;

/** The configured value, its default when the configuration leaves it out, unknown while it is unknown. */
function withDefault(configured: CtyValue | undefined, fallback: CtyValue): CtyValue {
  if (configured === undefined || configured === null) return fallback;
  return configured;
}

/** The controller's event list, in the prior order when it holds the same events (the order means nothing). */
function eventsState(events: readonly string[], like: CtyValue | undefined): CtyValue {
  if (Array.isArray(like) && like.length === events.length && like.every((e) => typeof e === 'string')) {
    const mine = [...(like as string[])].sort();
    const theirs = [...events].sort();
    if (mine.every((e, i) => e === theirs[i])) return like;
  }
  return [...events];
}

/** State from a controller record. The secret is never in a record: it comes from `like` (prior state or plan). */
export function targetState(rec: NotificationTargetRecord, like: CtyObject | null): CtyObject {
  const likeSecret = like?.secret;
  return {
    id: rec.name,
    name: rec.name,
    url: rec.url,
    secret: typeof likeSecret === 'string' ? likeSecret : null,
    events: eventsState(rec.events, like?.events),
    format: rec.format,
    enabled: rec.enabled,
  };
}

/** The target name a state refers to (an import stub may only have the id). */
function stateName(state: CtyObject): string {
  if (typeof state.name === 'string') return state.name;
  if (typeof state.id === 'string') return state.id;
  throw new DiagnosticsError([errorDiag(`Invalid ${WHAT} state`, 'the state has neither a name nor an id')]);
}

/**
 * A create refused because the name is taken. Terraform must not take over a target it did not make (its secret and
 * subscriptions are someone's), so the way to manage it here is an explicit import.
 */
function alreadyExistsDiag(name: string, message: string): Diagnostic {
  return errorDiag(
    `Notification target ${quote(name)} already exists`,
    `The prewarm controller refused to create it: ${message}. It was made outside this Terraform configuration (with ` +
      '"prewarm notify target put", the API, or another configuration). To manage it from here, import it: ' +
      `terraform import prewarm_notification_target.<resource name> ${name}. Or give this target another name.`,
    [{ attr: 'name' }],
  );
}

export const notificationTargetResource: ResourceImpl = {
  typeName: NOTIFICATION_TARGET_TYPE,
  schema: NOTIFICATION_TARGET_SCHEMA,

  validate(config) {
    return validateWith(config, block, WHAT, validateTargetFields);
  },

  plan({ prior, proposed, config }) {
    if (proposed === null) return { planned: null, requiresReplace: [] };
    const planned: CtyObject = { ...proposed };
    planned.id = typeof planned.name === 'string' ? planned.name : unknown();
    // From the configuration, not the proposal: Terraform proposes the prior value for an optional+computed attribute
    // the configuration leaves out, which would keep a format or enabled that was removed from the configuration.
    planned.format = withDefault(config?.format, DEFAULTS.format);
    planned.enabled = withDefault(config?.enabled, DEFAULTS.enabled);
    return { planned, requiresReplace: replacePaths(prior, planned, block) };
  },

  async apply(api, prior, planned) {
    const spec = specFromPlanned(planned, block, WHAT, parseTargetSpec);
    const create = prior === null;
    const { target } = await api.call(
      `${create ? 'create' : 'update'} notification target ${spec.name}`,
      (c) => c.putNotificationTarget(spec, { createOnly: create }),
      create ? (message) => alreadyExistsDiag(spec.name, message) : undefined,
    );
    return resolveUnknowns(planned, targetState(target, planned)) as CtyObject;
  },

  async delete(api, prior) {
    const name = stateName(prior);
    await api.callAllowNotFound(`delete notification target ${name}`, (c) => c.deleteNotificationTarget(name));
  },

  async read(api, prior) {
    const name = stateName(prior);
    const rec = await api.callAllowNotFound(`read notification target ${name}`, (c) => c.getNotificationTarget(name));
    return rec === undefined ? null : targetState(rec, prior);
  },

  importState(id) {
    const problem = nameProblem(id);
    if (problem !== null) {
      throw new DiagnosticsError([
        errorDiag(
          'Invalid import ID',
          `A ${WHAT} is imported by its name, e.g. terraform import ${WHAT}.ops ops-webhook; the ID ${problem}.`,
        ),
      ]);
    }
    return Object.fromEntries(Object.keys(block.attributes).map((name) => [name, name === 'id' || name === 'name' ? id : null]));
  },
};

