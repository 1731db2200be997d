// Cross-check against a real Terraform build: the terraform binary embeds the compiled descriptors
// of the tfplugin6, go-plugin and grpc health protos it speaks. Every field, enum value and RPC
// found there must exist in our generated code with the same number, type and label (older
// Terraform releases speak an older 6.x, which is a subset of 6.10; newer ones may add entries,
// which are then ignored, but a shared name may never change its number).
//
// Skipped when no terraform binary is found (TERRAFORM_BINARY, or `terraform` on PATH).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { describe, it } from '@jest/globals';
import type { DescFile } from '@bufbuild/protobuf';
import { file_plugin_grpc_controller, file_plugin_grpc_stdio, file_plugin_health, file_tfplugin6 } from '../../../provider/protocol';
import { diffInventories, inventoryFromDescFile } from '../../tools/descriptor-inventory';
import { extractFileDescriptor } from '../../tools/go-binary-descriptors';
import { skipping } from '../../helpers/skip';

function findTerraform(): string | undefined {
  const explicit = process.env.TERRAFORM_BINARY;
  if (explicit) return existsSync(explicit) ? explicit : undefined;
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const candidate = join(dir, 'terraform');
    if (dir && existsSync(candidate)) return realpathSync(candidate);
  }
  return undefined;
}

function terraformVersion(binary: string): [number, number] | undefined {
  try {
    const out = execFileSync(binary, ['version', '-json'], { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'ignore'], env: { ...process.env, CHECKPOINT_DISABLE: '1' } });
    const m = /^(\d+)\.(\d+)\./.exec(JSON.parse(out).terraform_version ?? '');
    return m ? [Number(m[1]), Number(m[2])] : undefined;
  } catch {
    return undefined;
  }
}

const binaryPath = findTerraform();
const skip = binaryPath ? false : 'no terraform binary found (set TERRAFORM_BINARY or put terraform on PATH)';

(skipping(skip, 'the terraform binary cross-check') ? describe.skip : describe)('descriptors embedded in the terraform binary', () => {
  const binary = binaryPath ? readFileSync(binaryPath) : new Uint8Array(0);
  const version = binaryPath ? terraformVersion(binaryPath) : undefined;
  // Terraform <= 1.15 speaks at most protocol 6.10, so everything it knows must be present here.
  const mustBeSubset = version !== undefined && (version[0] < 1 || (version[0] === 1 && version[1] <= 15));

  const cases: Array<[string, string, string, DescFile]> = [
    ['tfplugin6', 'tfplugin6.proto', 'tfplugin6', file_tfplugin6],
    ['go-plugin GRPCController', 'internal/plugin/grpc_controller.proto', 'plugin', file_plugin_grpc_controller],
    ['go-plugin GRPCStdio', 'internal/plugin/grpc_stdio.proto', 'plugin', file_plugin_grpc_stdio],
    ['grpc health', 'grpc/health/v1/health.proto', 'grpc.health.v1', file_plugin_health],
  ];

  for (const [label, protoName, pkg, ours] of cases) {
    it(`${label}: every entry in ${binaryPath} (Terraform ${version?.join('.') ?? '?'}) matches the generated code`, () => {
      const embedded = extractFileDescriptor(binary, protoName, pkg);
      assert.ok(embedded, `descriptor ${protoName} not found in ${binaryPath}`);
      const theirs = inventoryFromDescFile(embedded);
      const diff = diffInventories(theirs, inventoryFromDescFile(ours));
      assert.deepEqual(diff.changed, [], 'entries that differ');
      if (mustBeSubset) assert.deepEqual(diff.missing, [], 'entries Terraform has that the generated code lacks');
      if (label === 'tfplugin6') assert.ok(theirs.fields.length > 100, 'suspiciously few tfplugin6 fields found');
    });
  }
});
