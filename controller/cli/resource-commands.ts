/** `prewarm template …` and `prewarm preset …`. */
import { readFile } from 'node:fs/promises';
import { UsageError, type FlagSpec } from './args';
import type { CliIo, Command, CommandContext } from './command';
import { CLIENT_FLAGS, JSON_FLAG, withClient } from './connect';
import { errorText, json, presetJson, presetListText, presetText, templateJson, templateListText, templateText } from './human-output';
import { parsePresetRef } from './values';
import { parsePresetSpec, parseTemplateSpec } from '../domain/validate';
import { ValidationError } from '../domain/errors';
import { parseJsonFile } from '../domain/json-file';

const FILE_FLAG: FlagSpec = {
  name: 'file',
  kind: 'string',
  value: 'FILE',
  help: 'JSON file with HCL attribute names; "-" reads stdin (required)',
};

/**
 * Reads and validates a spec file before anything is sent: bad JSON reports line and column, and every
 * invalid field is listed, so the controller only ever sees well-formed input.
 */
async function loadSpec<T>(ctx: CommandContext, what: 'template' | 'preset', parse: (input: unknown) => T): Promise<T> {
  const file = ctx.flags.string('file');
  if (file === undefined) throw new UsageError(`--file is required; see prewarm ${what} put --help`);
  const label = file === '-' ? 'stdin' : file;
  let text: string;
  try {
    text = file === '-' ? await ctx.io.readStdin() : await readFile(file, 'utf8');
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    throw new UsageError(`--file: cannot read ${file}: ${e.code === 'ENOENT' ? 'no such file' : e.message}`);
  }
  try {
    return parse(parseJsonFile(text, label));
  } catch (err) {
    if (err instanceof ValidationError) throw new SpecFileError(`invalid ${what} in ${label}`, err);
    throw err;
  }
}

/** A ValidationError with the file it came from, printed with every field on its own line. */
export class SpecFileError extends Error {
  constructor(
    readonly context: string,
    readonly validation: ValidationError,
  ) {
    super(`${context}: ${validation.message}`);
    this.name = 'SpecFileError';
  }
  render(): string {
    // parseJsonFile's message already names the file; avoid saying it twice.
    const only = this.validation.errors.length === 1 && this.validation.errors[0].path.length === 0;
    return only ? `prewarm: ${this.validation.errors[0].message}\n` : errorText(this.validation, this.context);
  }
}

function print(io: CliIo, asJson: boolean, value: unknown, text: string): void {
  io.stdout(asJson ? json(value) : text);
}

const putJson: FlagSpec = { ...JSON_FLAG, help: 'Print the stored record as JSON' };

export const resourceCommands: Command[] = [
  {
    path: ['template', 'put'],
    summary: 'Create or replace a template from a JSON file',
    description:
      'The file holds {"name": …, "driver": …, "config": {…}}. Every change bumps the template version;\n' +
      'instances built from older versions are replaced (rolling).',
    flags: [FILE_FLAG, putJson, ...CLIENT_FLAGS],
    examples: ['prewarm template put --file devbox.json', 'cat devbox.json | prewarm template put --file -'],
    async run(ctx) {
      const spec = await loadSpec(ctx, 'template', parseTemplateSpec);
      const rec = await withClient(ctx.flags, (c) => c.putTemplate(spec));
      print(ctx.io, ctx.flags.boolean('json'), templateJson(rec), `Template ${rec.name} saved (version ${rec.version}).\n`);
      return 0;
    },
  },
  {
    path: ['template', 'get'],
    summary: 'Show one template',
    args: [{ name: 'NAME', help: 'Template name' }],
    flags: [JSON_FLAG, ...CLIENT_FLAGS],
    async run(ctx) {
      const rec = await withClient(ctx.flags, (c) => c.getTemplate(ctx.args.NAME!));
      print(ctx.io, ctx.flags.boolean('json'), templateJson(rec), templateText(rec));
      return 0;
    },
  },
  {
    path: ['template', 'list'],
    summary: 'List templates',
    flags: [JSON_FLAG, ...CLIENT_FLAGS],
    async run(ctx) {
      const list = await withClient(ctx.flags, (c) => c.listTemplates());
      print(ctx.io, ctx.flags.boolean('json'), { templates: list.map(templateJson) }, templateListText(list));
      return 0;
    },
  },
  {
    path: ['template', 'delete'],
    summary: 'Delete a template (its presets must be deleted first)',
    args: [{ name: 'NAME', help: 'Template name' }],
    flags: [...CLIENT_FLAGS],
    async run(ctx) {
      await withClient(ctx.flags, (c) => c.deleteTemplate(ctx.args.NAME!));
      ctx.io.stdout(`Template ${ctx.args.NAME} deleted.\n`);
      return 0;
    },
  },
  {
    path: ['preset', 'put'],
    summary: 'Create or replace a preset from a JSON file',
    description:
      'The file holds the preset with HCL attribute names: template, name, description, default, parameters and\n' +
      'an optional prebuilds block {instances, expiration_policy {ttl}, scheduling {timezone, lead_time, schedule [{cron, instances}]}}.\n' +
      'The file is validated before it is sent; every invalid field is listed.',
    flags: [FILE_FLAG, putJson, ...CLIENT_FLAGS],
    examples: ['prewarm preset put --file us-nix.json'],
    async run(ctx) {
      const spec = await loadSpec(ctx, 'preset', parsePresetSpec);
      const rec = await withClient(ctx.flags, (c) => c.putPreset(spec));
      print(ctx.io, ctx.flags.boolean('json'), presetJson(rec), `Preset ${rec.id} saved (generation ${rec.generation}).\n`);
      return 0;
    },
  },
  {
    path: ['preset', 'get'],
    summary: 'Show one preset',
    args: [{ name: 'TEMPLATE/NAME', help: 'Preset id' }],
    flags: [JSON_FLAG, ...CLIENT_FLAGS],
    async run(ctx) {
      const ref = parsePresetRef(ctx.args['TEMPLATE/NAME']!, 'TEMPLATE/NAME');
      const rec = await withClient(ctx.flags, (c) => c.getPreset(ref.template, ref.name));
      print(ctx.io, ctx.flags.boolean('json'), presetJson(rec), presetText(rec));
      return 0;
    },
  },
  {
    path: ['preset', 'list'],
    summary: 'List presets',
    flags: [{ name: 'template', kind: 'string', value: 'TEMPLATE', help: 'Only the presets of this template' }, JSON_FLAG, ...CLIENT_FLAGS],
    async run(ctx) {
      const template = ctx.flags.string('template');
      if (template !== undefined && template.trim() === '') throw new UsageError('--template must not be empty');
      const list = await withClient(ctx.flags, (c) => c.listPresets(template));
      print(ctx.io, ctx.flags.boolean('json'), { presets: list.map(presetJson) }, presetListText(list));
      return 0;
    },
  },
  {
    path: ['preset', 'delete'],
    summary: 'Delete a preset; its pool instances are retired',
    args: [{ name: 'TEMPLATE/NAME', help: 'Preset id' }],
    flags: [...CLIENT_FLAGS],
    async run(ctx) {
      const ref = parsePresetRef(ctx.args['TEMPLATE/NAME']!, 'TEMPLATE/NAME');
      await withClient(ctx.flags, (c) => c.deletePreset(ref.template, ref.name));
      ctx.io.stdout(`Preset ${ref.id} deleted; its pool instances will be retired.\n`);
      return 0;
    },
  },
];
