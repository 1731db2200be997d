// provider/gen must be exactly what `npx buf generate --template proto/buf.gen.tfplugin.yaml`
// produces from proto/tfplugin6 and proto/plugin (offline, ~1 s), plus the one module `npm run gen:schema`
// writes there (its own freshness test is in test/unit/provider/schema.test.ts). Skipped if buf is not installed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join, relative } from 'node:path';
import { describe, it } from '@jest/globals';
import { skipping } from '../../helpers/skip';
import { GENERATED_SCHEMA_MODULE } from '../../../bin/gen-provider-schema';

const ROOT = join(__dirname, '..', '..', '..');
const BIN = join(ROOT, 'node_modules', '.bin');
const skip = existsSync(join(BIN, 'buf')) && existsSync(join(BIN, 'protoc-gen-es')) ? false : 'buf / protoc-gen-es not installed in node_modules';

function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.sort();
}

(skipping(skip, 'the generated-code freshness check') ? describe.skip : describe)('generated protocol code', () => {
  it('provider/gen is up to date with the .proto files', () => {
    const out = mkdtempSync(join(tmpdir(), 'tfplugin-gen-'));
    try {
      const run = spawnSync(join(BIN, 'buf'), ['generate', '--template', 'proto/buf.gen.tfplugin.yaml', '-o', out], {
        cwd: ROOT,
        encoding: 'utf8',
        timeout: 120_000,
        env: { ...process.env, PATH: `${BIN}${delimiter}${process.env.PATH ?? ''}` },
      });
      assert.equal(run.status, 0, `buf generate failed: ${run.stderr}`);
      const fresh = join(out, 'provider', 'gen');
      const committed = join(ROOT, 'provider', 'gen');
      const fromSchemaGenerator = relative(committed, GENERATED_SCHEMA_MODULE);
      assert.deepEqual(listFiles(committed).filter((f) => f !== fromSchemaGenerator), listFiles(fresh));
      for (const f of listFiles(fresh)) {
        assert.equal(readFileSync(join(committed, f), 'utf8'), readFileSync(join(fresh, f), 'utf8'), `${f} is stale: run npx buf generate --template proto/buf.gen.tfplugin.yaml`);
      }
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 120_000); // buf generate runs offline in about 2 s, far longer on a loaded machine
});
