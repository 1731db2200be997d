/**
 * The `prewarm` command line: finds the command, handles help, parses flags, runs it, and turns errors into
 * stderr text and exit codes (0 ok, 1 failure, 2 usage error).
 *
 * New commands are added to CONTROLLER_COMMANDS; help, flag parsing and error handling come for free. The
 * executable (bin/prewarm.ts) adds `prewarm schema`, which belongs to the provider.
 */
import packageJson from '../../package.json';
import { Flags, UsageError, closest, parseArgs, wantsHelp } from './args';
import { commandName, processIo, type CliIo, type Command } from './command';
import { errorText } from './human-output';
import { HELP_FLAG, commandHelp, groupHelp, overviewHelp } from './help';
import { controllerCommand } from './controller-command';
import { resourceCommands, SpecFileError } from './resource-commands';
import { poolCommands } from './pool-commands';
import { workspaceCommands } from './workspace-commands';
import { notifyCommands } from './notify-commands';

const versionCommand: Command = {
  path: ['version'],
  summary: 'Print the prewarm version',
  flags: [],
  async run(ctx) {
    ctx.io.stdout(`prewarm ${packageJson.version} (node ${process.version})\n`);
    return 0;
  },
};

export const CONTROLLER_COMMANDS: Command[] = [controllerCommand, ...resourceCommands, ...poolCommands, ...workspaceCommands, ...notifyCommands, versionCommand];

type Resolved = { kind: 'command'; command: Command; rest: string[] } | { kind: 'group'; group: string[]; rest: string[] };

const startsWith = (path: readonly string[], prefix: readonly string[]) => prefix.every((w, i) => path[i] === w);

/**
 * The longest command path that prefixes argv's leading words; or a group (`notify`, `notify target`) when only its
 * words match. Paths nest to any depth, so `prewarm notify target put` and `prewarm notify list` live side by side.
 */
function resolve(words: readonly string[], commands: readonly Command[]): Resolved {
  let best: Command | undefined;
  for (const c of commands) {
    if (c.path.length <= words.length && startsWith(words, c.path) && (best === undefined || c.path.length > best.path.length)) best = c;
  }
  if (best) return { kind: 'command', command: best, rest: words.slice(best.path.length) };
  const members = (prefix: readonly string[]) => commands.filter((c) => c.path.length > prefix.length && startsWith(c.path, prefix));
  let depth = 0;
  while (depth < words.length && members(words.slice(0, depth + 1)).length > 0) depth++;
  if (depth > 0) {
    const group = words.slice(0, depth);
    const next = words[depth];
    if (next !== undefined && !next.startsWith('-')) {
      const subs = [...new Set(members(group).map((c) => c.path[depth]))];
      const hint = closest(next, subs);
      const name = (w: string) => ['prewarm', ...group, w].join(' ');
      throw new UsageError(`unknown command "${name(next)}"${hint ? ` (did you mean "${name(hint)}"?)` : ''}; commands: ${subs.join(', ')}`);
    }
    return { kind: 'group', group, rest: words.slice(depth) };
  }
  const names = [...new Set([...commands.map((c) => c.path[0]), 'help'])];
  const [first] = words;
  const hint = closest(first, names);
  throw new UsageError(`unknown command "${first}"${hint ? ` (did you mean "${hint}"?)` : ''}; see prewarm --help`);
}

/** Positionals → named args, with arity errors that show the synopsis. */
function bindArgs(command: Command, positionals: string[]): Record<string, string | undefined> {
  const specs = command.args ?? [];
  const name = commandName(command);
  if (positionals.length > specs.length) {
    throw new UsageError(`unexpected argument "${positionals[specs.length]}" for "${name}"; see ${name} --help`);
  }
  const out: Record<string, string | undefined> = {};
  specs.forEach((spec, i) => {
    const value = positionals[i];
    if (value === undefined && !spec.optional) throw new UsageError(`"${name}" needs ${spec.name}; see ${name} --help`);
    if (value !== undefined && value.trim() === '') throw new UsageError(`${spec.name} must not be empty`);
    out[spec.name] = value;
  });
  return out;
}

async function dispatch(argv: string[], io: CliIo, commands: readonly Command[]): Promise<number> {
  if (argv.length === 0) {
    io.stderr(overviewHelp(commands));
    return 2;
  }
  if (argv[0] === '--help' || argv[0] === '-h') {
    io.stdout(overviewHelp(commands));
    return 0;
  }
  if (argv[0] === '--version') argv = ['version'];
  if (argv[0] === 'help') {
    const words = argv.slice(1).filter((w) => !w.startsWith('-'));
    if (words.length === 0) {
      io.stdout(overviewHelp(commands));
      return 0;
    }
    const r = resolve(words, commands);
    if (r.kind === 'command' && r.rest.length > 0) throw new UsageError(`unknown command "prewarm ${words.join(' ')}"; see prewarm --help`);
    io.stdout(r.kind === 'command' ? commandHelp(r.command) : groupHelp(r.group, commands));
    return 0;
  }

  const resolved = resolve(argv, commands);
  if (resolved.kind === 'group') {
    if (wantsHelp(resolved.rest)) {
      io.stdout(groupHelp(resolved.group, commands));
      return 0;
    }
    io.stderr(`prewarm: "prewarm ${resolved.group.join(' ')}" needs a command\n\n` + groupHelp(resolved.group, commands));
    return 2;
  }
  const { command, rest } = resolved;
  if (wantsHelp(rest)) {
    io.stdout(commandHelp(command));
    return 0;
  }
  const specs = [...command.flags, HELP_FLAG];
  const parsed = parseArgs(rest, specs, commandName(command));
  const flags = new Flags(parsed, io.env, specs);
  return command.run({ io, flags, args: bindArgs(command, parsed.positionals), command });
}

/** Runs the CLI; returns the exit code. `io` is injectable so tests need no subprocess. */
export async function main(argv: string[], io: CliIo = processIo, commands: readonly Command[] = CONTROLLER_COMMANDS): Promise<number> {
  try {
    return await dispatch(argv, io, commands);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(errorText(err));
      return 2;
    }
    if (err instanceof SpecFileError) {
      io.stderr(err.render());
      return 1;
    }
    // Errors that say how a supervisor should take them (the database unreachable: 69, try later; misconfigured: 78).
    const code = (err as { exitCode?: unknown } | null)?.exitCode;
    if (typeof code === 'number' && Number.isInteger(code) && code > 0 && code < 126) {
      io.stderr(errorText(err));
      return code;
    }
    io.stderr(errorText(err, err instanceof Error && err.name === 'ValidationError' ? 'the controller rejected the request' : undefined));
    return 1;
  }
}
