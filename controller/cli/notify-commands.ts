/**
 * `prewarm notify …`: webhook targets (`notify target put|get|list|delete`) and what was delivered to them
 * (`notify list`, `notify resend`, `notify test`).
 *
 * A target's secret goes from the file (or --secret-env) to the controller and nowhere else: no output, --json or
 * error message of these commands contains it, and the file's errors are worded so they cannot quote it.
 */
import { readFile } from 'node:fs/promises';
import { UsageError, type FlagSpec } from './args';
import type { Command, CommandContext } from './command';
import { CLIENT_FLAGS, JSON_FLAG, withClient } from './connect';
import { json } from './human-output';
import { SpecFileError } from './resource-commands';
import { parseCount } from './values';
import {
  deliveryJson,
  deliveryListText,
  resendText,
  targetJson,
  targetListText,
  targetText,
  testResultJson,
  testResultText,
} from './notify-output';
import type { NotificationTargetInput } from '../api/service';
import { ValidationError, formatPath, type FieldError } from '../domain/errors';
import { parseJsonFile } from '../domain/json-file';
import { nameProblem } from '../domain/names';
import { DELIVERY_STATES, validateTargetFields, type DeliveryFilter, type DeliveryState } from '../domain/notification-target';
import { escapeText as t, quote } from '../domain/text';
import { NOTIFICATION_EVENTS } from '../domain/workspace';

/** The controller lists at most this many deliveries per call. */
const MAX_LISTED = 1000;

/** The CLI's clock, for the relative hints only ("in 40s"); every decision uses the controller's. */
const now = () => Date.now();

/**
 * A notification target file that cannot be put, printed with the file, then one line per problem naming the
 * entry (in a list) and the field. Exit code 1, like the other spec files.
 */
class TargetFileError extends SpecFileError {
  constructor(
    context: string,
    private readonly lines: string[],
  ) {
    super(context, new ValidationError(lines.map((message) => ({ path: [], message }))));
  }
  override render(): string {
    if (this.lines.length === 0) return `prewarm: ${t(this.context)}\n`;
    return `prewarm: ${t(this.context)}:\n${this.lines.map((l) => `  ${t(l)}`).join('\n')}\n`;
  }
}

/** "entry [1] ("chat")" in a list file, nothing in a one-target file. */
function entryLabel(entry: unknown, index: number, list: boolean): string {
  if (!list) return '';
  const name = typeof entry === 'object' && entry !== null ? (entry as Record<string, unknown>).name : undefined;
  return `entry [${index}]${typeof name === 'string' && name !== '' ? ` (${quote(name)})` : ''}: `;
}

function fieldLine(e: FieldError): string {
  return e.path.length === 0 ? e.message : `${formatPath(e.path)}: ${e.message}`;
}

/**
 * JSON parse errors may quote a bare word they stumbled on, and in a target file that word can be an unquoted
 * secret; the position is enough to find it.
 */
function withoutQuotedWord(message: string): string {
  return message.replace(/unexpected word "[^"]*"/, 'unexpected word');
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * Reads, checks and validates a target file before anything is sent: every problem of every entry is listed, and
 * a file with any problem puts nothing (so a list is never half-applied because of bad input).
 */
async function loadTargets(ctx: CommandContext): Promise<{ label: string; targets: NotificationTargetInput[]; list: boolean }> {
  const file = ctx.flags.string('file');
  if (file === undefined) throw new UsageError('--file is required; see prewarm notify target put --help');
  const label = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = file === '-' ? await ctx.io.readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`--file: cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.code === 'EISDIR' ? 'is a directory' : e.message}`);
  }
  let parsed: unknown;
  try {
    parsed = parseJsonFile(text, label);
  } catch (err) {
    if (err instanceof ValidationError) throw new TargetFileError(withoutQuotedWord(err.errors[0].message), []);
    throw err;
  }

  const list = Array.isArray(parsed);
  const entries: unknown[] = list ? [...(parsed as unknown[])] : [parsed];
  const what = `notification target${list ? 's' : ''} in ${label}`;
  if (list && entries.length === 0) throw new TargetFileError(`no ${what}: the list is empty`, []);
  if (!list && (typeof parsed !== 'object' || parsed === null)) {
    // Named by type only: a bare string here could be the secret.
    const got = parsed === null ? 'null' : typeof parsed;
    throw new TargetFileError(`invalid ${what}`, [`the file must hold a target object {"name", "url", "secret", "events", …} or a list of them, got ${got}`]);
  }

  const secretEnv = ctx.flags.string('secret-env');
  if (secretEnv !== undefined) {
    if (!ENV_NAME.test(secretEnv)) throw new UsageError(`--secret-env must name an environment variable (letters, digits, _), got ${quote(secretEnv)}`);
    if (entries.length !== 1) {
      throw new UsageError(`--secret-env gives the secret of a one-target file; ${label} holds ${entries.length} targets: write each one's secret in the file`);
    }
    const only = entries[0];
    if (typeof only === 'object' && only !== null && !Array.isArray(only)) {
      if ((only as Record<string, unknown>).secret !== undefined) {
        throw new UsageError(`--secret-env: ${label} already has a secret; give it in one place only`);
      }
      const value = ctx.io.env[secretEnv];
      if (value === undefined || value === '') throw new UsageError(`--secret-env: the environment variable ${secretEnv} is ${value === undefined ? 'not set' : 'empty'}`);
      entries[0] = { ...only, secret: value };
    }
  }

  const lines: string[] = [];
  const firstOf = new Map<string, number>();
  entries.forEach((entry, i) => {
    const at = entryLabel(entry, i, list);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      const got = entry === null ? 'null' : Array.isArray(entry) ? 'a list' : typeof entry;
      lines.push(`${at}must be a target object {"name", "url", "secret", "events", …}, got ${got}`);
      return;
    }
    for (const e of validateTargetFields(entry)) {
      const hint = e.path.length === 1 && e.path[0] === 'secret' && e.message === 'is required' && !list ? ' (write it in the file, or pass --secret-env VAR)' : '';
      lines.push(`${at}${fieldLine(e)}${hint}`);
    }
    const name = (entry as Record<string, unknown>).name;
    if (typeof name === 'string' && nameProblem(name) === null) {
      const first = firstOf.get(name);
      if (first === undefined) firstOf.set(name, i);
      else lines.push(`entries [${first}] and [${i}] are both named ${quote(name)}: a name may appear once per file`);
    }
  });
  if (lines.length > 0) throw new TargetFileError(`invalid ${what}`, lines);

  const targets = entries.map((entry) => {
    const o = entry as Record<string, unknown>;
    const input: NotificationTargetInput = { name: o.name as string, url: o.url as string, secret: o.secret as string, events: [...(o.events as string[])] };
    if (o.format !== undefined && o.format !== null) input.format = o.format as string;
    if (o.enabled !== undefined && o.enabled !== null) input.enabled = o.enabled as boolean;
    return input;
  });
  return { label, targets, list };
}

function parseStateFlag(text: string): DeliveryState {
  if (!(DELIVERY_STATES as readonly string[]).includes(text)) throw new UsageError(`--state must be one of ${DELIVERY_STATES.join(', ')}, got ${quote(text)}`);
  return text as DeliveryState;
}

function parseNameFlag(text: string, flag: string): string {
  const problem = nameProblem(text);
  if (problem !== null) throw new UsageError(`${flag} ${problem}`);
  return text;
}

/** A target name argument, checked before anything is sent (a usage error naming the argument). */
function targetName(ctx: CommandContext, arg: string): string {
  return parseNameFlag(ctx.args[arg]!, arg);
}

function parseLimitFlag(text: string): number {
  const n = parseCount(text, '--limit', 1);
  if (n > MAX_LISTED) throw new UsageError(`--limit: must be at most ${MAX_LISTED}, got ${n}`);
  return n;
}

function parseDeliveryId(text: string): number {
  const n = /^\d{1,15}$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) throw new UsageError(`ID must be a delivery id (the whole number "prewarm notify list" shows), got ${quote(text)}`);
  return n;
}

const FILE_FLAG: FlagSpec = {
  name: 'file',
  kind: 'string',
  value: 'FILE',
  help: 'JSON file: one target object or a list of them; "-" reads stdin (required)',
};

const SECRET_ENV_FLAG: FlagSpec = {
  name: 'secret-env',
  kind: 'string',
  value: 'VAR',
  help: "Take the secret from this environment variable (a one-target file without \"secret\"), so it stays out of the file",
};

/** The items joined by ", " on lines of at most 100 characters, each line indented. */
function wrapList(items: readonly string[], indent: string): string {
  const lines: string[] = [];
  let line = '';
  for (const item of items) {
    const next = line === '' ? item : `${line}, ${item}`;
    if (indent.length + next.length > 100 && line !== '') {
      lines.push(`${line},`);
      line = item;
    } else line = next;
  }
  lines.push(line);
  return lines.map((l) => indent + l).join('\n');
}

const NAME_ARG = { name: 'NAME', help: 'Notification target name' };

export const notifyCommands: Command[] = [
  {
    path: ['notify', 'target', 'put'],
    summary: 'Create or replace notification targets (webhooks) from a JSON file',
    description:
      'The file holds one target, or a list of them:\n' +
      '  {"name": "ci-hook", "url": "https://hooks.example.com/prewarm", "secret": "…at least 16 characters…",\n' +
      '   "events": ["workspace_autostop_reminder", "preset_hard_limited"], "format": "json", "enabled": true}\n' +
      'events: a list of event types, or ["*"] for all of them:\n' +
      `${wrapList(NOTIFICATION_EVENTS, '  ')}\n` +
      'format: json (default) or slack (a {"text": …} message for a Slack incoming webhook). enabled: default true.\n' +
      'The secret signs every request (X-Prewarm-Signature); it is stored sealed and never shown again.\n' +
      'Every entry is validated before anything is sent; a file with any problem puts nothing.',
    flags: [FILE_FLAG, SECRET_ENV_FLAG, ...CLIENT_FLAGS],
    examples: [
      'prewarm notify target put --file hooks.json',
      'prewarm notify target put --file ci-hook.json --secret-env CI_HOOK_SECRET',
      'cat hooks.json | prewarm notify target put --file -',
    ],
    async run(ctx) {
      const { label, targets, list } = await loadTargets(ctx);
      await withClient(ctx.flags, async (c) => {
        for (const [i, input] of targets.entries()) {
          let res;
          try {
            res = await c.putNotificationTarget(input);
          } catch (err) {
            if (!(err instanceof ValidationError)) throw err;
            const where = list ? `entry [${i}] (${quote(input.name)}) of ${label}` : label;
            throw new TargetFileError(`the controller rejected notification target ${quote(input.name)} in ${where}`, err.errors.map(fieldLine));
          }
          const { target, changed } = res;
          const off = target.enabled ? '' : ' It is disabled: it gets no deliveries until enabled.';
          ctx.io.stdout(`Notification target ${t(target.name)} ${changed ? 'saved' : 'unchanged'}.${off}\n`);
        }
      });
      return 0;
    },
  },
  {
    path: ['notify', 'target', 'get'],
    summary: 'Show one notification target (never its secret)',
    args: [NAME_ARG],
    flags: [{ ...JSON_FLAG, help: 'Print the target as JSON' }, ...CLIENT_FLAGS],
    examples: ['prewarm notify target get ci-hook --json'],
    async run(ctx) {
      const rec = await withClient(ctx.flags, (c) => c.getNotificationTarget(targetName(ctx, 'NAME')));
      ctx.io.stdout(ctx.flags.boolean('json') ? json(targetJson(rec)) : targetText(rec));
      return 0;
    },
  },
  {
    path: ['notify', 'target', 'list'],
    summary: 'List notification targets',
    flags: [{ ...JSON_FLAG, help: 'Print {"targets": [...]} as JSON' }, ...CLIENT_FLAGS],
    examples: ['prewarm notify target list'],
    async run(ctx) {
      const list = await withClient(ctx.flags, (c) => c.listNotificationTargets());
      ctx.io.stdout(ctx.flags.boolean('json') ? json({ targets: list.map(targetJson) }) : targetListText(list));
      return 0;
    },
  },
  {
    path: ['notify', 'target', 'delete'],
    summary: 'Delete a notification target and its deliveries',
    description: 'Pending deliveries to the target are dropped; its delivered and failed ones leave the history.',
    args: [NAME_ARG],
    flags: [...CLIENT_FLAGS],
    examples: ['prewarm notify target delete ci-hook'],
    async run(ctx) {
      const name = targetName(ctx, 'NAME');
      await withClient(ctx.flags, (c) => c.deleteNotificationTarget(name));
      ctx.io.stdout(`Notification target ${t(name)} deleted, with its deliveries.\n`);
      return 0;
    },
  },
  {
    path: ['notify', 'list'],
    summary: 'List notification deliveries, newest first',
    description:
      'One row per notification and target: its state (pending, delivered, failed), attempts, the last answer\n' +
      '(HTTP status and latency, or no answer) and the last error. Pending deliveries are retried with backoff\n' +
      'for 24 hours, then failed; "prewarm notify resend ID" sends one again.',
    flags: [
      { name: 'state', kind: 'string', value: 'STATE', help: `Only this state: ${DELIVERY_STATES.join(', ')}` },
      { name: 'target', kind: 'string', value: 'NAME', help: 'Only deliveries to this target' },
      { name: 'limit', kind: 'string', value: 'N', help: `At most N deliveries (1 to ${MAX_LISTED})`, default: '100' },
      { ...JSON_FLAG, help: 'Print {"deliveries": [...]} as JSON' },
      ...CLIENT_FLAGS,
    ],
    examples: ['prewarm notify list --state failed', 'prewarm notify list --target ci-hook --limit 20 --json'],
    async run(ctx) {
      const filter: DeliveryFilter = {};
      const state = ctx.flags.string('state');
      if (state !== undefined) filter.state = parseStateFlag(state);
      const target = ctx.flags.string('target');
      if (target !== undefined) filter.target = parseNameFlag(target, '--target');
      const limit = ctx.flags.string('limit');
      if (limit !== undefined) filter.limit = parseLimitFlag(limit);
      const list = await withClient(ctx.flags, (c) => c.listDeliveries(filter));
      const filtered = filter.state !== undefined || filter.target !== undefined;
      ctx.io.stdout(ctx.flags.boolean('json') ? json({ deliveries: list.map(deliveryJson) }) : deliveryListText(list, now(), filtered));
      return 0;
    },
  },
  {
    path: ['notify', 'resend'],
    summary: 'Send a delivery again',
    description:
      'The delivery becomes pending and due now, with its attempts reset and a fresh 24-hour retry window. The\n' +
      'receiver gets the same key (X-Prewarm-Delivery) as before, so one that dedupes by key can tell.',
    args: [{ name: 'ID', help: 'Delivery id, as "prewarm notify list" shows it' }],
    flags: [{ ...JSON_FLAG, help: 'Print the delivery as JSON' }, ...CLIENT_FLAGS],
    examples: ['prewarm notify resend 41'],
    async run(ctx) {
      const id = parseDeliveryId(ctx.args.ID!);
      const d = await withClient(ctx.flags, (c) => c.resendDelivery(id));
      ctx.io.stdout(ctx.flags.boolean('json') ? json(deliveryJson(d)) : resendText(d));
      return 0;
    },
  },
  {
    path: ['notify', 'test'],
    summary: 'Send a signed test event to a target and show the answer',
    description:
      'Sends {"event": "test", …} to the target now, signed like every delivery, whether the target is enabled or\n' +
      'not, and prints the HTTP status and latency. Exits 1 when the receiver did not answer 2xx.',
    args: [{ name: 'TARGET', help: 'Notification target name' }],
    flags: [{ ...JSON_FLAG, help: 'Print {"target", "ok", "status", "latency_ms", "error"} as JSON' }, ...CLIENT_FLAGS],
    examples: ['prewarm notify test ci-hook'],
    async run(ctx) {
      const r = await withClient(ctx.flags, (c) => c.testNotificationTarget(targetName(ctx, 'TARGET')));
      if (ctx.flags.boolean('json')) ctx.io.stdout(json(testResultJson(r)));
      else if (r.ok) ctx.io.stdout(`${testResultText(r)}\n`);
      else ctx.io.stderr(`prewarm: ${testResultText(r)}\n`);
      return r.ok ? 0 : 1;
    },
  },
];
