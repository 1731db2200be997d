/**
 * Generates the CDKTF (TypeScript) bindings for terraform-provider-prewarm from the provider schema JSON
 * (`schemas/provider.json`, the `terraform providers schema -json` shape) into `schemas/cdktf/`.
 *
 *   node --import tsx examples/cdktf/generate-bindings.ts            write schemas/cdktf/
 *   node --import tsx examples/cdktf/generate-bindings.ts --check    exit 1 if schemas/cdktf/ is not what the schema gives
 *   options: --schema <file>  --out <dir>
 *
 * No terraform is needed. @cdktf/provider-generator's package entry point cannot be loaded without jsii-pacmak, so the
 * generator class is imported by its deep path; its @cdktf/commons dependency starts `terraform version -json` and a
 * HashiCorp checkpoint call as import side effects, so this script sets CHECKPOINT_DISABLE=1 and removes every PATH
 * entry holding a `terraform` executable before loading it.
 *
 * The output is deterministic: the schema's object keys are sorted before generation (as terraform's own JSON is),
 * and the emitted code is post-processed in one way only: the `override` modifiers that the repository's
 * `noImplicitOverride` setting requires are added with TypeScript's own "add all missing override modifiers" fix.
 * The result must then type-check cleanly under the root tsconfig options, or nothing is written.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import ts from 'typescript';

export const REPO_ROOT = path.resolve(__dirname, '../..');
export const DEFAULT_SCHEMA = path.join(REPO_ROOT, 'schemas/provider.json');
export const DEFAULT_OUT = path.join(REPO_ROOT, 'schemas/cdktf');
export const PROVIDER_ADDRESS = 'registry.terraform.io/prewarm/prewarm';

/** Relative path (always with `/`) → file content. */
export type Bindings = Map<string, string>;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Reads and checks the schema file, and returns it with every object's keys sorted. */
export function loadSchema(file: string): { [key: string]: Json } {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`cannot read the provider schema ${file} (${(err as Error).message}); write it with \`prewarm schema > schemas/provider.json\``);
  }
  const parsed = JSON.parse(text) as Json;
  if (!isObject(parsed) || typeof parsed.format_version !== 'string' || !isObject(parsed.provider_schemas)) {
    throw new Error(`${file} is not in the \`terraform providers schema -json\` shape (format_version, provider_schemas)`);
  }
  const providers = Object.keys(parsed.provider_schemas);
  if (!providers.includes(PROVIDER_ADDRESS)) {
    throw new Error(`${file} has no schema for ${PROVIDER_ADDRESS} (found: ${providers.join(', ') || 'none'})`);
  }
  return sortKeys(parsed) as { [key: string]: Json };
}

function isObject(v: Json | undefined): v is { [key: string]: Json } {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function sortKeys(v: Json): Json {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (!isObject(v)) return v;
  const out: { [key: string]: Json } = {};
  for (const k of Object.keys(v).sort()) out[k] = sortKeys(v[k]);
  return out;
}

/** `pathValue` without the directories that hold a `terraform` executable. */
export function pathWithoutTerraform(pathValue = process.env.PATH ?? ''): string {
  return pathValue
    .split(path.delimiter)
    .filter((d) => d !== '' && !isExecutable(path.join(d, 'terraform')))
    .join(path.delimiter);
}

/** CHECKPOINT_DISABLE=1 and a PATH without terraform, for this process, before @cdktf/commons is loaded. */
function isolateFromTerraform(): void {
  process.env.CHECKPOINT_DISABLE = '1';
  delete process.env.TERRAFORM_BINARY_NAME;
  process.env.PATH = pathWithoutTerraform();
}

function isExecutable(file: string): boolean {
  try {
    fs.accessSync(file, fs.constants.X_OK);
    return fs.statSync(file).isFile();
  } catch {
    return false;
  }
}

/** Runs TerraformProviderGenerator on the (sorted) schema and returns the files it writes, unmodified. */
async function runProviderGenerator(schema: { [key: string]: Json }): Promise<Bindings> {
  isolateFromTerraform();
  // Loaded only now, after the environment is cleaned (a static import would run the side effects first).
  const { TerraformProviderGenerator } = await import('@cdktf/provider-generator/lib/get/generator/provider-generator');
  const { CodeMaker } = await import('codemaker');
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-cdktf-gen-'));
  try {
    // loadSchema checked the outer shape; the generator reads the rest as terraform's schema JSON.
    type ProviderSchema = ConstructorParameters<typeof TerraformProviderGenerator>[1];
    const generator = new TerraformProviderGenerator(new CodeMaker(), schema as unknown as ProviderSchema);
    generator.generateAll();
    await generator.save(tmp);
    const files: Bindings = new Map();
    for (const rel of listFiles(tmp)) files.set(rel, fs.readFileSync(path.join(tmp, rel), 'utf8'));
    return files;
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
}

/** Every file under `dir`, as sorted relative paths with `/`. */
export function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (rel: string): void => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const child = rel === '' ? e.name : `${rel}/${e.name}`;
      if (e.isDirectory()) walk(child);
      else out.push(child);
    }
  };
  if (fs.existsSync(dir)) walk('');
  return out.sort();
}

/** The root tsconfig's compiler options, the ones the bindings are checked with when the example imports them. */
function rootCompilerOptions(): ts.CompilerOptions {
  const configPath = path.join(REPO_ROOT, 'tsconfig.json');
  const read = ts.readConfigFile(configPath, (f) => ts.sys.readFile(f));
  if (read.error) throw new Error(ts.flattenDiagnosticMessageText(read.error.messageText, '\n'));
  const parsed = ts.parseJsonConfigFileContent(read.config, ts.sys, REPO_ROOT, undefined, configPath);
  return { ...parsed.options, noEmit: true };
}

const MISSING_OVERRIDE_CODES = new Set([4114, 4115, 4116]);

/**
 * Adds the `override` modifiers the generated classes lack (TS4114/4115/4116 under noImplicitOverride), using the
 * language service's fix-all for those errors, then requires zero diagnostics of any kind. The files are checked in
 * memory at the default location (the generated code imports only itself, `cdktf` and `constructs`, so where they are
 * finally written does not change them), so `cdktf` and `constructs` resolve from the repository.
 */
function addOverrideModifiers(files: Bindings): Bindings {
  const outDir = DEFAULT_OUT;
  const options = rootCompilerOptions();
  const abs = (rel: string): string => path.join(outDir, ...rel.split('/'));
  const texts = new Map<string, { text: string; version: number }>();
  for (const [rel, text] of files) texts.set(abs(rel), { text, version: 0 });
  const tsFiles = [...texts.keys()].filter((f) => f.endsWith('.ts'));
  const host: ts.LanguageServiceHost = {
    getCompilationSettings: () => options,
    getScriptFileNames: () => tsFiles,
    getScriptVersion: (f) => String(texts.get(f)?.version ?? 0),
    getScriptSnapshot: (f) => {
      const mem = texts.get(f);
      if (mem) return ts.ScriptSnapshot.fromString(mem.text);
      const disk = ts.sys.readFile(f);
      return disk === undefined ? undefined : ts.ScriptSnapshot.fromString(disk);
    },
    getCurrentDirectory: () => REPO_ROOT,
    getDefaultLibFileName: (o) => ts.getDefaultLibFilePath(o),
    // Only the generated files exist under outDir: a stale file from an earlier generation must not be resolved.
    fileExists: (f) => texts.has(f) || (!isInside(f, outDir) && ts.sys.fileExists(f)),
    readFile: (f) => texts.get(f)?.text ?? (isInside(f, outDir) ? undefined : ts.sys.readFile(f)),
    directoryExists: (d) => ts.sys.directoryExists(d) || [...texts.keys()].some((f) => isInside(f, d)),
    getDirectories: (d) => ts.sys.getDirectories(d),
    realpath: (p) => (texts.has(p) ? p : ts.sys.realpath ? ts.sys.realpath(p) : p),
  };
  const service = ts.createLanguageService(host, ts.createDocumentRegistry());
  try {
    for (const file of tsFiles) {
      const needsFix = (): boolean => service.getSemanticDiagnostics(file).some((d) => MISSING_OVERRIDE_CODES.has(d.code));
      for (let round = 0; round < 5 && needsFix(); round++) {
        const fix = service.getCombinedCodeFix({ type: 'file', fileName: file }, 'fixAddOverrideModifier', {}, {});
        for (const change of fix.changes) {
          const entry = texts.get(change.fileName);
          if (!entry) throw new Error(`the override fix touched a file outside the bindings: ${change.fileName}`);
          const edits = [...change.textChanges].sort((a, b) => b.span.start - a.span.start);
          let text = entry.text;
          for (const e of edits) text = text.slice(0, e.span.start) + e.newText + text.slice(e.span.start + e.span.length);
          texts.set(change.fileName, { text, version: entry.version + 1 });
        }
      }
    }
    const problems: string[] = [];
    for (const file of tsFiles) {
      for (const d of [...service.getSyntacticDiagnostics(file), ...service.getSemanticDiagnostics(file)]) {
        const where = d.file && d.start !== undefined ? d.file.getLineAndCharacterOfPosition(d.start) : undefined;
        const loc = where ? `${path.relative(outDir, file)}:${where.line + 1}:${where.character + 1}` : path.relative(outDir, file);
        problems.push(`${loc} TS${d.code}: ${ts.flattenDiagnosticMessageText(d.messageText, ' ')}`);
      }
    }
    if (problems.length > 0) throw new Error(`the generated bindings do not type-check under tsconfig.json:\n${problems.join('\n')}`);
  } finally {
    service.dispose();
  }
  const out: Bindings = new Map();
  for (const rel of [...files.keys()].sort()) out.set(rel, texts.get(abs(rel))!.text);
  return out;
}

function isInside(file: string, dir: string): boolean {
  const rel = path.relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel);
}

function readme(schemaFile: string, outDir: string): string {
  const schemaRel = path.relative(REPO_ROOT, schemaFile).split(path.sep).join('/');
  const outRel = path.relative(REPO_ROOT, outDir).split(path.sep).join('/');
  return [
    '# CDKTF bindings for terraform-provider-prewarm (generated)',
    '',
    `Generated from \`${schemaRel}\` by \`examples/cdktf/generate-bindings.ts\` with @cdktf/provider-generator`,
    '(TerraformProviderGenerator). Do not edit these files: change the provider schema and regenerate:',
    '',
    '```sh',
    'node --import tsx examples/cdktf/generate-bindings.ts          # rewrite this folder',
    'node --import tsx examples/cdktf/generate-bindings.ts --check  # fail if this folder is stale',
    '```',
    '',
    `Import them as \`${outRel}/providers/prewarm\` (see \`examples/cdktf/main.ts\`). The only change made to the`,
    "generator's output is the `override` modifiers that the repository's `noImplicitOverride` requires.",
    '',
  ].join('\n');
}

/** The complete, final content of the bindings folder for this schema. */
export async function generateBindings(schemaFile = DEFAULT_SCHEMA, outDir = DEFAULT_OUT): Promise<Bindings> {
  const schema = loadSchema(schemaFile);
  const raw = await runProviderGenerator(schema);
  if (![...raw.keys()].some((f) => f.startsWith('providers/prewarm/'))) {
    throw new Error(`the generator wrote no providers/prewarm/ files (got: ${[...raw.keys()].join(', ')})`);
  }
  const fixed = addOverrideModifiers(raw);
  fixed.set('README.md', readme(schemaFile, outDir));
  return new Map([...fixed.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** Differences between `files` and what is on disk under `outDir` (empty when identical). */
export function diffBindings(files: Bindings, outDir: string): string[] {
  const onDisk = new Set(listFiles(outDir));
  const out: string[] = [];
  for (const [rel, text] of files) {
    if (!onDisk.has(rel)) out.push(`missing: ${rel}`);
    else if (fs.readFileSync(path.join(outDir, rel), 'utf8') !== text) out.push(`differs: ${rel}`);
  }
  for (const rel of onDisk) if (!files.has(rel)) out.push(`extra: ${rel}`);
  return out;
}

/** Replaces `outDir` with exactly `files` (written to a staging folder first, then swapped in). */
export function writeBindings(files: Bindings, outDir: string): void {
  const staging = `${outDir}.staging-${process.pid}`;
  fs.rmSync(staging, { recursive: true, force: true });
  for (const [rel, text] of files) {
    const target = path.join(staging, ...rel.split('/'));
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.writeFileSync(target, text);
  }
  fs.rmSync(outDir, { recursive: true, force: true });
  fs.renameSync(staging, outDir);
}

function parseArgs(argv: string[]): { schema: string; out: string; check: boolean } {
  const args = { schema: DEFAULT_SCHEMA, out: DEFAULT_OUT, check: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return path.resolve(v);
    };
    if (a === '--check') args.check = true;
    else if (a === '--schema') args.schema = value();
    else if (a === '--out') args.out = value();
    else throw new Error(`unknown argument ${a} (usage: generate-bindings.ts [--check] [--schema FILE] [--out DIR])`);
  }
  return args;
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const files = await generateBindings(args.schema, args.out);
  const outRel = path.relative(process.cwd(), args.out) || '.';
  const diff = diffBindings(files, args.out);
  if (args.check) {
    if (diff.length === 0) {
      process.stdout.write(`${outRel} is up to date with ${path.relative(process.cwd(), args.schema)} (${files.size} files)\n`);
      return 0;
    }
    process.stderr.write(
      `${outRel} is stale; regenerate with \`node --import tsx examples/cdktf/generate-bindings.ts\`:\n${diff.map((d) => `  ${d}`).join('\n')}\n`,
    );
    return 1;
  }
  writeBindings(files, args.out);
  process.stdout.write(`wrote ${files.size} files to ${outRel}${diff.length === 0 ? ' (unchanged)' : ` (${diff.length} changed)`}\n`);
  return 0;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`generate-bindings: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
