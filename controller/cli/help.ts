/** Usage text for the overview, command groups and single commands. */
import type { FlagSpec } from './args';
import { commandName, type Command } from './command';

export const HELP_FLAG: FlagSpec = { name: 'help', kind: 'boolean', help: 'Show this help' };

function columns(rows: Array<[string, string]>, indent = '  '): string {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}  ${right}`.trimEnd()).join('\n');
}

export function synopsis(cmd: Command): string {
  const args = (cmd.args ?? []).map((a) => (a.optional ? `[${a.name}]` : a.name));
  const required = cmd.flags.filter((f) => f.help.includes('(required)')).map((f) => `--${f.name} ${f.value ?? ''}`.trim());
  return [commandName(cmd), ...args, ...required, cmd.flags.length > required.length ? '[flags]' : ''].filter(Boolean).join(' ');
}

function flagLeft(f: FlagSpec): string {
  const name = f.name === 'help' ? '-h, --help' : `--${f.name}`;
  return f.kind === 'string' ? `${name} ${f.value ?? 'VALUE'}` : name;
}

function flagRight(f: FlagSpec): string {
  const extras: string[] = [];
  if (f.repeated) extras.push('repeatable');
  if (f.env) extras.push(`env ${f.env}`);
  if (f.default !== undefined) extras.push(`default ${f.default}`);
  return extras.length ? `${f.help} [${extras.join('; ')}]` : f.help;
}

export function commandHelp(cmd: Command): string {
  const parts = [`Usage: ${synopsis(cmd)}`, '', cmd.summary + (cmd.description ? `\n\n${cmd.description}` : '')];
  if (cmd.args?.length) parts.push('', 'Arguments:', columns(cmd.args.map((a) => [a.name, a.help])));
  parts.push('', 'Flags:', columns([...cmd.flags, HELP_FLAG].map((f) => [flagLeft(f), flagRight(f)])));
  if (cmd.examples?.length) parts.push('', 'Examples:', cmd.examples.map((e) => `  ${e}`).join('\n'));
  return parts.join('\n') + '\n';
}

/** `group` is the words of the group: ['notify'] or ['notify', 'target']; every command under it is listed. */
export function groupHelp(group: readonly string[], commands: readonly Command[]): string {
  const words = group.join(' ');
  const members = commands.filter((c) => c.path.length > group.length && group.every((w, i) => c.path[i] === w));
  return [
    `Usage: prewarm ${words} COMMAND [flags]`,
    '',
    'Commands:',
    columns(members.map((c) => [c.path.join(' ') + (c.args ?? []).map((a) => ` ${a.optional ? `[${a.name}]` : a.name}`).join(''), c.summary])),
    '',
    `Run "prewarm ${words} COMMAND --help" for a command's flags.`,
  ].join('\n') + '\n';
}

export function overviewHelp(commands: readonly Command[]): string {
  return [
    'prewarm keeps pools of prebuilt instances ready to claim.',
    '',
    'Usage: prewarm COMMAND [flags]',
    '',
    'Commands:',
    columns([
      ...commands.map((c): [string, string] => [c.path.join(' '), c.summary]),
      ['help [COMMAND]', 'Show help for a command'],
    ]),
    '',
    'Run "prewarm COMMAND --help" (or "prewarm help COMMAND") for a command\'s arguments and flags.',
    'Client commands find the controller with --endpoint/PREWARM_ENDPOINT (default 127.0.0.1:7420) and',
    'authenticate with --token/PREWARM_TOKEN.',
  ].join('\n') + '\n';
}
