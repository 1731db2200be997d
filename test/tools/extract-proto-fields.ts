// Regenerates the field-number fixtures from the published .proto texts.
//
//   node --import tsx test/tools/extract-proto-fields.ts            # rewrite the fixtures
//   node --import tsx test/tools/extract-proto-fields.ts --check    # exit 1 if they are stale
//
// Inputs are the files under proto/tfplugin6 and proto/plugin, which are byte-for-byte copies of
// the published upstream files (see each fixture's "source" block: upstream repository, path,
// character count and sha256 of the text that was read). The extraction uses only the text
// reader in ./proto-text.ts, never buf/protoc, so the fixtures are independent of the code
// generator whose output the unit tests check against them.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { readProtoInventory, type ProtoInventory } from './proto-text';

const ROOT = resolve(__dirname, '..', '..');

interface SourceInfo {
  file: string; // repository-relative path of the text that was read
  upstream: { repository: string; path: string; revision: string; note?: string };
}

export interface FieldFixture {
  description: string;
  source: SourceInfo & { chars: number; sha256: string };
  inventory: ProtoInventory;
}

const TFPLUGIN6: SourceInfo = {
  file: 'proto/tfplugin6/tfplugin6.proto',
  upstream: {
    repository: 'hashicorp/terraform',
    path: 'docs/plugin-protocol/tfplugin6.proto',
    revision: 'protocol 6.10 as released with Terraform 1.15 (header "version 6.10"; includes deprecation_message, state-store, list and action RPCs; no 6.11 Block.computed)',
    note: 'text read from a stored copy of that file (mirror commit a0fa62532ca0c0eba254c83a8789ae48735be2d7, 36722 characters)',
  },
};

const PLUGIN_FILES: SourceInfo[] = [
  {
    file: 'proto/plugin/grpc_controller.proto',
    upstream: { repository: 'hashicorp/go-plugin', path: 'internal/plugin/grpc_controller.proto', revision: '142c82163579f81c9da75796274376bd37e2b49f' },
  },
  {
    file: 'proto/plugin/grpc_stdio.proto',
    upstream: { repository: 'hashicorp/go-plugin', path: 'internal/plugin/grpc_stdio.proto', revision: '058fe18be2b65091e2f07f2940d0b6b4a2b79877' },
  },
  {
    file: 'proto/plugin/health.proto',
    upstream: { repository: 'grpc/grpc-proto', path: 'grpc/health/v1/health.proto', revision: '0879266b79e40eb00e9f5ee024ce012b47f6f52e' },
  },
];

function build(info: SourceInfo, description: string): FieldFixture {
  const text = readFileSync(join(ROOT, info.file), 'utf8');
  return {
    description,
    source: { ...info, chars: text.length, sha256: createHash('sha256').update(text).digest('hex') },
    inventory: readProtoInventory(text),
  };
}

/** JSON with one inventory entry per line, so fixture diffs stay readable. */
function isFlat(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return true;
  return Object.values(value as object).every((v) => v === null || typeof v !== 'object');
}

function format(value: unknown, indent = ''): string {
  const inner = indent + '  ';
  if (Array.isArray(value)) {
    if (value.length === 0) return '[]';
    const items = value.map((v) => inner + (isFlat(v) ? JSON.stringify(v) : format(v, inner)));
    return '[\n' + items.join(',\n') + '\n' + indent + ']';
  }
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).map(([k, v]) => {
      const rendered = Array.isArray(v) || !isFlat(v) ? format(v, inner) : JSON.stringify(v);
      return `${inner}${JSON.stringify(k)}: ${rendered}`;
    });
    return '{\n' + entries.join(',\n') + '\n' + indent + '}';
  }
  return JSON.stringify(value);
}

export const FIXTURES = {
  tfplugin6: 'test/fixtures/tfplugin6-6.10-fields.json',
  plugin: 'test/fixtures/go-plugin-health-fields.json',
} as const;

export function renderFixtures(): Record<string, string> {
  const tf = build(TFPLUGIN6, 'Every message, field (name, number, label, type, oneof), enum value and RPC of tfplugin6 6.10, extracted from the published proto text by test/tools/extract-proto-fields.ts.');
  const plugin = PLUGIN_FILES.map((f) => build(f, 'Extracted from the published proto text by test/tools/extract-proto-fields.ts.'));
  return {
    [FIXTURES.tfplugin6]: format(tf) + '\n',
    [FIXTURES.plugin]: format(plugin) + '\n',
  };
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [file, text] of Object.entries(renderFixtures())) {
    const path = join(ROOT, file);
    if (check) {
      let current = '';
      try { current = readFileSync(path, 'utf8'); } catch { /* missing */ }
      if (current !== text) { stale = true; console.error(`stale: ${file}`); }
    } else {
      writeFileSync(path, text);
      console.error(`wrote ${file}`);
    }
  }
  if (stale) process.exit(1);
}
