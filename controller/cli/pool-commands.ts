/** Commands about pools and instances: explain, status, claim, pause, resume, invalidate, instance get/list. */
import { UsageError } from './args';
import type { Command } from './command';
import { CLIENT_FLAGS, JSON_FLAG, withClient } from './connect';
import { errorText, explainJson, explainText, instant, instanceJson, instanceListText, instanceText, json, statusJson, statusText } from './human-output';
import { parseAutoDestroyAtFlag, parseAutoDestroyInactivityFlag, parseDurationFlag, parseOwnerFlag, parsePresetRef, parseRfc3339 } from './values';
import { claimJson, claimText } from './workspace-output';
import { AUTO_DESTROY_AT_FLAG, AUTO_DESTROY_INACTIVITY_FLAG } from './workspace-commands';
import { watchStatus } from '../view/watch-status';
import { instanceStateEnum } from '../api/codec-enums';
import type { ClaimRequest } from '../api/service';
import type { InstanceState } from '../domain/states';
import { OWNER_TEXT } from '../domain/text';
import { MIN_INSTANCE_ID_PREFIX } from '../domain/limits';

const PRESET_ARG = { name: 'TEMPLATE/PRESET', help: 'Preset id, e.g. devbox/us-nix' };
const INSTANCE_REF_ARG = 'ID|PREFIX|NAME';
const OPTIONAL_PRESET_ARG = { ...PRESET_ARG, optional: true, help: 'Preset id; without it, the global switch' };

export const poolCommands: Command[] = [
  {
    path: ['explain'],
    summary: 'Show what the next reconcile tick would do, and why, without doing it',
    description:
      'Per preset: the desired count and the schedule or base that produced it, ready/starting/expired/outdated\n' +
      'counts, status, backoff, and the actions the next tick would run. --at evaluates the schedule windows at\n' +
      'another instant, so window and DST behaviour can be checked from the command line.',
    flags: [
      { name: 'at', kind: 'string', value: 'RFC3339', help: 'Evaluate windows at this instant, e.g. 2026-03-08T07:30:00Z' },
      { name: 'preset', kind: 'string', value: 'TEMPLATE/NAME', help: 'Only this preset' },
      { ...JSON_FLAG, help: 'Print {"at", "paused", "presets": [...]} as JSON' },
      ...CLIENT_FLAGS,
    ],
    examples: ['prewarm explain', 'prewarm explain --at 2026-11-01T05:30:00Z --preset devbox/us-nix --json'],
    async run(ctx) {
      const atText = ctx.flags.string('at');
      const presetText = ctx.flags.string('preset');
      const req: { at?: number; presetId?: string } = {};
      if (atText !== undefined) req.at = parseRfc3339(atText, '--at');
      if (presetText !== undefined) req.presetId = parsePresetRef(presetText, '--preset').id;
      const report = await withClient(ctx.flags, (c) => c.explain(req));
      ctx.io.stdout(ctx.flags.boolean('json') ? json(explainJson(report)) : explainText(report));
      return 0;
    },
  },
  {
    path: ['status'],
    summary: 'Show pool sizes, health and driver operations in flight',
    description:
      'Per preset: desired, ready, starting, claimed and failed counts, and the state that matters (backing off\n' +
      'until when, hard limited and why, validation failed and why, paused). --watch keeps a live view open: a\n' +
      'table redrawn in place on a terminal (NO_COLOR turns colour off), plain appended lines in a pipe.',
    flags: [
      { name: 'preset', kind: 'string', value: 'TEMPLATE/NAME', help: 'Only this preset' },
      JSON_FLAG,
      { name: 'watch', kind: 'boolean', help: 'Keep watching: redraw on a terminal, append lines in a pipe; Ctrl-C stops' },
      { name: 'interval', kind: 'string', value: 'DURATION', help: 'How often --watch asks the controller', default: '1s' },
      ...CLIENT_FLAGS,
    ],
    examples: ['prewarm status', 'prewarm status --watch', 'prewarm status --preset devbox/us-nix --json'],
    async run(ctx) {
      const presetText = ctx.flags.string('preset');
      const req = presetText === undefined ? {} : { presetId: parsePresetRef(presetText, '--preset').id };
      if (ctx.flags.boolean('watch')) {
        if (ctx.flags.boolean('json')) throw new UsageError('--watch and --json cannot be combined (use --json alone, repeatedly)');
        const intervalMs = parseDurationFlag(ctx.flags.string('interval') ?? '1s', '--interval');
        return withClient(ctx.flags, (c) => watchStatus(ctx.io, () => c.status(req), intervalMs, (err) => errorText(err, 'status')));
      }
      const report = await withClient(ctx.flags, (c) => c.status(req));
      ctx.io.stdout(ctx.flags.boolean('json') ? json(statusJson(report)) : statusText(report));
      return 0;
    },
  },
  {
    path: ['claim'],
    summary: 'Take the oldest ready instance of a preset',
    description:
      'When the pool is empty a fresh instance is built for you (returned while it starts), unless --no-fallback\n' +
      'asks to fail instead. Claims are served while reconciliation is paused too (globally or for the preset),\n' +
      'fallback builds included: a claim is a person asking; only the refill of the pool waits for "prewarm resume".\n' +
      'The claimed instance is a workspace from then on: the template\'s lifecycle policy applies to it, and\n' +
      '--auto-destroy-at / --auto-destroy-inactivity set its own destroy settings ("prewarm workspace set" changes them).',
    args: [PRESET_ARG],
    flags: [
      { name: 'owner', kind: 'string', value: 'NAME', help: `Who the instance is for: ${OWNER_TEXT.words}` },
      { name: 'no-fallback', kind: 'boolean', help: 'Fail instead of building a fresh instance when none is ready' },
      AUTO_DESTROY_AT_FLAG,
      AUTO_DESTROY_INACTIVITY_FLAG,
      { ...JSON_FLAG, help: 'Print the workspace as JSON' },
      ...CLIENT_FLAGS,
    ],
    examples: ['prewarm claim devbox/us-nix --owner alice --json', 'prewarm claim devbox/us-nix --owner ci --auto-destroy-inactivity 2h'],
    async run(ctx) {
      const ref = parsePresetRef(ctx.args['TEMPLATE/PRESET']!, 'TEMPLATE/PRESET');
      const ownerText = ctx.flags.string('owner');
      const owner = ownerText === undefined ? undefined : parseOwnerFlag(ownerText, '--owner');
      const req: ClaimRequest = { template: ref.template, preset: ref.name };
      if (owner !== undefined) req.owner = owner;
      if (ctx.flags.boolean('no-fallback')) req.noFallback = true;
      // "none" means what leaving the flag out means: a claim has no setting to clear.
      const at = ctx.flags.string('auto-destroy-at');
      const atValue = at === undefined ? null : parseAutoDestroyAtFlag(at);
      if (atValue !== null) req.autoDestroyAt = atValue;
      const inactivity = ctx.flags.string('auto-destroy-inactivity');
      const inactivityValue = inactivity === undefined ? null : parseAutoDestroyInactivityFlag(inactivity);
      if (inactivityValue !== null) req.autoDestroyInactivity = inactivityValue;
      const workspace = await withClient(ctx.flags, (c) => c.claim(req));
      ctx.io.stdout(ctx.flags.boolean('json') ? json(claimJson(workspace)) : claimText(workspace, Date.now()));
      return 0;
    },
  },
  {
    path: ['pause'],
    summary: 'Pause reconciliation of one preset, or globally; claims are still served',
    description:
      'While paused, the controller changes nothing in the pool on its own: no creates, no refills after claims, no\n' +
      'replacements of expired, invalidated or outdated instances, no deletes (surplus, expired, failed and stopped\n' +
      'instances stay), and pending builds are not canceled. Driver operations already running finish. Claims are\n' +
      'still served, because a claim is a person asking: from the ready instances, and by a fresh build for the\n' +
      'claimer when none is ready (unless the claim says --no-fallback). status and explain show the preset as\n' +
      'paused, next to its desired and ready counts. The global switch and each preset\'s switch are separate:\n' +
      '"prewarm resume" lifts the global one, "prewarm resume TEMPLATE/PRESET" the preset\'s.',
    args: [OPTIONAL_PRESET_ARG],
    flags: [...CLIENT_FLAGS],
    async run(ctx) {
      const id = ctx.args['TEMPLATE/PRESET'];
      const presetId = id === undefined ? undefined : parsePresetRef(id, 'TEMPLATE/PRESET').id;
      await withClient(ctx.flags, (c) => c.pause(presetId));
      ctx.io.stdout(
        presetId
          ? `Paused ${presetId}.\n`
          : 'Paused reconciliation globally: no pool creates, refills or deletes until "prewarm resume"; claims are still served.\n',
      );
      return 0;
    },
  },
  {
    path: ['resume'],
    summary: 'Resume one preset (also lifting hard_limited/validation_failed and backoff), or globally',
    description:
      'Reconciliation picks up at once: pools are refilled (claims made while paused included) and everything\n' +
      'a paused pool left alone is acted on. With TEMPLATE/PRESET it also lifts the preset\'s hard_limited or\n' +
      'validation_failed state and its backoff, so its builds are retried now. Without it, only the global pause is\n' +
      'lifted: presets paused one by one stay paused.',
    args: [OPTIONAL_PRESET_ARG],
    flags: [...CLIENT_FLAGS],
    async run(ctx) {
      const id = ctx.args['TEMPLATE/PRESET'];
      const presetId = id === undefined ? undefined : parsePresetRef(id, 'TEMPLATE/PRESET').id;
      await withClient(ctx.flags, (c) => c.resume(presetId));
      ctx.io.stdout(presetId ? `Resumed ${presetId}.\n` : 'Resumed the controller globally.\n');
      return 0;
    },
  },
  {
    path: ['invalidate'],
    summary: 'Mark every current instance of a preset as expired; they are replaced (rolling)',
    args: [PRESET_ARG],
    flags: [...CLIENT_FLAGS],
    async run(ctx) {
      const ref = parsePresetRef(ctx.args['TEMPLATE/PRESET']!, 'TEMPLATE/PRESET');
      const { invalidatedAt } = await withClient(ctx.flags, (c) => c.invalidate(ref.template, ref.name));
      ctx.io.stdout(`Invalidated ${ref.id} at ${instant(invalidatedAt)}; instances built before then will be replaced.\n`);
      return 0;
    },
  },
  {
    path: ['instance', 'get'],
    summary: 'Show one instance',
    description:
      'Give the instance as "prewarm instance list" prints it, by id or by name; the first\n' +
      `${MIN_INSTANCE_ID_PREFIX} or more characters of the id work too. Deleted and archived instances the controller still keeps\n` +
      'are found as well. A prefix or name that matches several instances is refused, listing a few of them.',
    args: [{ name: INSTANCE_REF_ARG, help: `The instance: its full id, a prefix of ${MIN_INSTANCE_ID_PREFIX} or more characters of the id, or its name` }],
    flags: [JSON_FLAG, ...CLIENT_FLAGS],
    examples: ['prewarm instance get 3f2a9c1e', 'prewarm instance get us-nix-3f2a9c1e5b7d --json'],
    async run(ctx) {
      const instance = await withClient(ctx.flags, (c) => c.getInstance(ctx.args[INSTANCE_REF_ARG]!));
      ctx.io.stdout(ctx.flags.boolean('json') ? json(instanceJson(instance)) : instanceText(instance));
      return 0;
    },
  },
  {
    path: ['instance', 'list'],
    summary: 'List instances',
    flags: [
      { name: 'preset', kind: 'string', value: 'TEMPLATE/NAME', help: 'Only this preset' },
      { name: 'state', kind: 'string', value: 'STATE', help: `Only this state: ${instanceStateEnum.names.join(', ')}` },
      JSON_FLAG,
      ...CLIENT_FLAGS,
    ],
    async run(ctx) {
      const req: { presetId?: string; state?: InstanceState } = {};
      const preset = ctx.flags.string('preset');
      if (preset !== undefined) req.presetId = parsePresetRef(preset, '--preset').id;
      const state = ctx.flags.string('state');
      if (state !== undefined) {
        if (!(instanceStateEnum.names as string[]).includes(state)) {
          throw new UsageError(`--state must be one of ${instanceStateEnum.names.join(', ')}, got "${state}"`);
        }
        req.state = state as InstanceState;
      }
      const list = await withClient(ctx.flags, (c) => c.listInstances(req));
      ctx.io.stdout(ctx.flags.boolean('json') ? json({ instances: list.map(instanceJson) }) : instanceListText(list));
      return 0;
    },
  },
];
