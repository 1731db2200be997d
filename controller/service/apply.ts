import * as fs from 'node:fs';
import * as path from 'node:path';
import type { PrewarmService } from '../api/service';
import { ValidationError } from '../domain/errors';
import type { PresetSpec, TemplateSpec } from '../domain/specs';
import { parsePresetSpec, parseTemplateSpec } from '../domain/validate';
import { parseJsonFile } from '../domain/json-file';

interface Loaded {
  file: string;
  kind: 'template' | 'preset';
  body: unknown;
}

/** Expands --apply arguments: a file as is, a directory as its *.json files in name order. */
export function applyFiles(paths: readonly string[]): string[] {
  const files: string[] = [];
  for (const p of paths) {
    let stat: fs.Stats;
    try {
      stat = fs.statSync(p);
    } catch {
      throw new Error(`--apply: ${p} does not exist`);
    }
    if (stat.isDirectory()) {
      const jsons = fs.readdirSync(p).filter((f) => f.endsWith('.json')).sort();
      if (jsons.length === 0) throw new Error(`--apply: ${p} has no .json files`);
      files.push(...jsons.map((f) => path.join(p, f)));
    } else {
      files.push(p);
    }
  }
  return files;
}

/**
 * Applies template and preset JSON files through the same service calls the API uses, templates first, so a
 * directory can hold both in any order. A file is a template when it has `driver`, a preset when it has
 * `template`. Every error names the file.
 */
export async function applySpecs(service: PrewarmService, paths: readonly string[]): Promise<{ templates: number; presets: number }> {
  const loaded: Loaded[] = applyFiles(paths).map((file) => {
    const text = fs.readFileSync(file, 'utf8');
    let body: unknown;
    try {
      body = parseJsonFile(text, file);
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw new Error(`${file}: expected a JSON object`);
    const o = body as Record<string, unknown>;
    // Every file is validated before anything is applied, so a bad file leaves the store untouched.
    try {
      if ('driver' in o) return { file, kind: 'template', body: parseTemplateSpec(body) };
      if ('template' in o) return { file, kind: 'preset', body: parsePresetSpec(body) };
    } catch (err) {
      throw new Error(`${file}: ${(err as Error).message}`);
    }
    throw new Error(`${file}: not a template (no "driver") nor a preset (no "template")`);
  });
  let templates = 0;
  let presets = 0;
  for (const kind of ['template', 'preset'] as const) {
    for (const item of loaded.filter((l) => l.kind === kind)) {
      try {
        if (kind === 'template') {
          await service.putTemplate(item.body as TemplateSpec);
          templates++;
        } else {
          await service.putPreset(item.body as PresetSpec);
          presets++;
        }
      } catch (err) {
        const msg = err instanceof ValidationError ? err.message : (err as Error).message;
        throw new Error(`${item.file}: ${msg}`);
      }
    }
  }
  return { templates, presets };
}
