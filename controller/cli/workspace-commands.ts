/** `prewarm workspace …`: claimed instances and their lifecycle (list, get, start, stop, delete, activity, set, explain). */
import { UsageError } from './args';
import type { Command, CommandContext } from './command';
import { CLIENT_FLAGS, JSON_FLAG, withClient } from './connect';
import { instant, json } from './human-output';
import { parseAutoDestroyAtFlag, parseAutoDestroyInactivityFlag, parseOwnerFlag, parsePresetRef, parseRfc3339 } from './values';
import { relative, settingsText, workspaceExplainJson, workspaceExplainText, workspaceJson, workspaceListText, workspaceText } from './workspace-output';
import type { PrewarmClient } from '../api/client';
import type { WorkspaceSettings } from '../api/service';
import { MIN_INSTANCE_ID_PREFIX } from '../domain/limits';
import { escapeText as t } from '../domain/text';
import type { WorkspaceFilter, WorkspaceOp, WorkspaceRecord } from '../domain/workspace';

const REF = 'ID|PREFIX|NAME';
const REF_ARG = { name: REF, help: `The workspace: its id, a prefix of ${MIN_INSTANCE_ID_PREFIX} or more characters of the id, or its name` };

export const AUTO_DESTROY_AT_FLAG = {
  name: 'auto-destroy-at',
  kind: 'string' as const,
  value: 'RFC3339|none',
  help: 'Delete the workspace at this instant (once), e.g. 2026-12-24T18:00:00Z; "none" clears it',
};
export const AUTO_DESTROY_INACTIVITY_FLAG = {
  name: 'auto-destroy-inactivity',
  kind: 'string' as const,
  value: 'DURATION|none',
  help: 'Delete the workspace after this long without activity (s, m, h, d: "8h", "7d"; at most 365d); "none" clears it',
};

/** The CLI's clock, for the relative hints only ("in 7h59m"); every decision uses the controller's. */
const now = () => Date.now();

const ref = (ctx: CommandContext) => ctx.args[REF]!;

function printWorkspace(ctx: CommandContext, w: WorkspaceRecord, text: string): number {
  ctx.io.stdout(ctx.flags.boolean('json') ? json(workspaceJson(w)) : text);
  return 0;
}

/** What start/stop/delete say, from the state the workspace is in afterwards (the request is idempotent). */
function opText(op: WorkspaceOp, w: WorkspaceRecord): string {
  const name = `${t(w.name)} (${t(w.id)})`;
  switch (op) {
    case 'start':
      if (w.state === 'claimed') return `Workspace ${name} is running.\n`;
      return `Starting workspace ${name} (state ${t(w.state)}); "prewarm workspace get ${t(w.id)}" shows when it runs.\n`;
    case 'stop':
      if (w.state === 'stopped') return `Workspace ${name} is stopped.\n`;
      return `Stopping workspace ${name} (state ${t(w.state)}).\n`;
    case 'delete':
      if (w.state === 'archived') return `Workspace ${name} is deleted and archived (it stays listed with --archived).\n`;
      return `Deleting workspace ${name} (state ${t(w.state)}); the record is archived once the driver has deleted it.\n`;
  }
}

function opCommand(op: WorkspaceOp, summary: string, description: string): Command {
  return {
    path: ['workspace', op],
    summary,
    description,
    args: [REF_ARG],
    flags: [{ ...JSON_FLAG, help: 'Print the workspace as JSON' }, ...CLIENT_FLAGS],
    examples: [`prewarm workspace ${op} us-nix-3f2a9c1e5b7d`],
    async run(ctx) {
      const w = await withClient(ctx.flags, (c) => c.workspaceOp(ref(ctx), op));
      return printWorkspace(ctx, w, opText(op, w));
    },
  };
}

export const workspaceCommands: Command[] = [
  {
    path: ['workspace', 'list'],
    summary: 'List workspaces (claimed instances)',
    description: 'Archived workspaces (deleted, history kept) are left out unless --archived asks for them.',
    flags: [
      { name: 'owner', kind: 'string', value: 'NAME', help: 'Only workspaces of this owner' },
      { name: 'preset', kind: 'string', value: 'TEMPLATE/NAME', help: 'Only this preset' },
      { name: 'archived', kind: 'boolean', help: 'Include archived workspaces' },
      { ...JSON_FLAG, help: 'Print {"workspaces": [...]} as JSON' },
      ...CLIENT_FLAGS,
    ],
    examples: ['prewarm workspace list --owner alice', 'prewarm workspace list --preset devbox/us-nix --archived --json'],
    async run(ctx) {
      const filter: WorkspaceFilter = {};
      const owner = ctx.flags.string('owner');
      if (owner !== undefined) filter.owner = parseOwnerFlag(owner, '--owner');
      const preset = ctx.flags.string('preset');
      if (preset !== undefined) filter.presetId = parsePresetRef(preset, '--preset').id;
      if (ctx.flags.boolean('archived')) filter.archived = true;
      const list = await withClient(ctx.flags, (c) => c.listWorkspaces(filter));
      ctx.io.stdout(ctx.flags.boolean('json') ? json({ workspaces: list.map(workspaceJson) }) : workspaceListText(list, now()));
      return 0;
    },
  },
  {
    path: ['workspace', 'get'],
    summary: 'Show one workspace',
    args: [REF_ARG],
    flags: [{ ...JSON_FLAG, help: 'Print the workspace as JSON' }, ...CLIENT_FLAGS],
    examples: ['prewarm workspace get 3f2a9c1e', 'prewarm workspace get us-nix-3f2a9c1e5b7d --json'],
    async run(ctx) {
      const w = await withClient(ctx.flags, (c) => c.getWorkspace(ref(ctx)));
      return printWorkspace(ctx, w, workspaceText(w, now()));
    },
  },
  opCommand(
    'start',
    'Start a stopped workspace',
    'Runs the driver\'s start; the workspace is running again with a fresh autostop deadline, and no longer dormant.\n' +
      'A workspace that is running or starting is left as it is; an archived one cannot be started.',
  ),
  opCommand(
    'stop',
    'Stop a running workspace',
    "Runs the driver's stop. A workspace that is stopped or stopping is left as it is.",
  ),
  opCommand(
    'delete',
    'Delete a workspace; its record is archived',
    "Runs the driver's delete; once it succeeded the workspace is archived (listed with --archived). A failed\n" +
      'delete leaves the workspace failed, with the error, and can be asked for again.',
  ),
  {
    path: ['workspace', 'activity'],
    summary: 'Report use of a workspace: bumps last-used and the autostop deadline',
    description:
      'What an agent or a login hook calls while someone works in the workspace: last used becomes now, the\n' +
      'autostop deadline moves to now + autostop_after when that is later, dormancy is cleared, and an inactivity\n' +
      'destroy counts from now again.',
    args: [REF_ARG],
    flags: [{ ...JSON_FLAG, help: 'Print the workspace as JSON' }, ...CLIENT_FLAGS],
    examples: ['prewarm workspace activity us-nix-3f2a9c1e5b7d'],
    async run(ctx) {
      const w = await withClient(ctx.flags, (c) => c.reportActivity(ref(ctx)));
      const n = now();
      const deadline = w.deadline === null ? 'no autostop deadline' : `deadline ${instant(w.deadline)} (${relative(w.deadline, n)})`;
      return printWorkspace(ctx, w, `Reported activity on ${t(w.name)} (${t(w.id)}): last used ${instant(w.lastUsedAt) ?? '-'}; ${deadline}.\n`);
    },
  },
  {
    path: ['workspace', 'set'],
    summary: "Change a workspace's auto-destroy settings",
    description:
      '--auto-destroy-at deletes the workspace once, at that instant (it must be in the future). --auto-destroy-inactivity\n' +
      'deletes it after that long without reported activity. "none" clears a setting; a flag left out leaves it.',
    args: [REF_ARG],
    flags: [AUTO_DESTROY_AT_FLAG, AUTO_DESTROY_INACTIVITY_FLAG, { ...JSON_FLAG, help: 'Print the workspace as JSON' }, ...CLIENT_FLAGS],
    examples: [
      'prewarm workspace set us-nix-3f2a9c1e5b7d --auto-destroy-at 2026-12-24T18:00:00Z',
      'prewarm workspace set us-nix-3f2a9c1e5b7d --auto-destroy-inactivity 8h',
      'prewarm workspace set us-nix-3f2a9c1e5b7d --auto-destroy-at none --auto-destroy-inactivity none',
    ],
    async run(ctx) {
      const change: WorkspaceSettings = {};
      const at = ctx.flags.string('auto-destroy-at');
      const inactivity = ctx.flags.string('auto-destroy-inactivity');
      if (at === undefined && inactivity === undefined) {
        throw new UsageError('"prewarm workspace set" needs --auto-destroy-at or --auto-destroy-inactivity (or both); see prewarm workspace set --help');
      }
      if (at !== undefined) change.autoDestroyAt = parseAutoDestroyAtFlag(at);
      if (inactivity !== undefined) change.autoDestroyInactivity = parseAutoDestroyInactivityFlag(inactivity);
      const w = await withClient(ctx.flags, (c) => c.setWorkspace(ref(ctx), change));
      return printWorkspace(ctx, w, settingsText(w, now()));
    },
  },
  {
    path: ['workspace', 'explain'],
    summary: "Show each lifecycle rule's next transition or reminder for a workspace",
    description:
      'One row per rule: what it does, when (its instant, and how far from the evaluation instant) and why. The\n' +
      '"next" line says what the next lifecycle tick would run. --at evaluates at another instant, to check what\n' +
      'would happen then; nothing is changed either way.',
    args: [REF_ARG],
    flags: [
      { name: 'at', kind: 'string', value: 'RFC3339', help: 'Evaluate at this instant, e.g. 2026-03-08T07:30:00Z' },
      { ...JSON_FLAG, help: 'Print {"at", "workspace", "next", "rules": [...]} as JSON' },
      ...CLIENT_FLAGS,
    ],
    examples: ['prewarm workspace explain us-nix-3f2a9c1e5b7d', 'prewarm workspace explain 3f2a9c1e --at 2026-03-09T07:30:00Z --json'],
    async run(ctx) {
      const atText = ctx.flags.string('at');
      const at = atText === undefined ? undefined : parseRfc3339(atText, '--at');
      const report = await withClient(ctx.flags, (c: PrewarmClient) => c.explainWorkspace(ref(ctx), at));
      ctx.io.stdout(ctx.flags.boolean('json') ? json(workspaceExplainJson(report)) : workspaceExplainText(report));
      return 0;
    },
  },
];
