// go-plugin's GRPCController / GRPCStdio and grpc.health.v1.Health: the generated descriptors must
// match the fixture extracted from the published .proto texts.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { create, toBinary } from '@bufbuild/protobuf';
import {
  GRPCController,
  GRPCStdio,
  Health,
  HealthCheckResponseSchema,
  HealthCheckResponse_ServingStatus,
  StdioDataSchema,
  StdioData_Channel,
  file_plugin_grpc_controller,
  file_plugin_grpc_stdio,
  file_plugin_health,
} from '../../../provider/protocol';
import { diffInventories, inventoryFromDescFile } from '../../tools/descriptor-inventory';
import { FIXTURES, renderFixtures, type FieldFixture } from '../../tools/extract-proto-fields';

const ROOT = join(__dirname, '..', '..', '..');
const fixtures: FieldFixture[] = JSON.parse(readFileSync(join(ROOT, FIXTURES.plugin), 'utf8'));
const generatedFiles = {
  'proto/plugin/grpc_controller.proto': file_plugin_grpc_controller,
  'proto/plugin/grpc_stdio.proto': file_plugin_grpc_stdio,
  'proto/plugin/health.proto': file_plugin_health,
} as const;

describe('go-plugin and health protocol definitions', () => {
  it('fixtures are up to date with the proto texts', () => {
    assert.equal(readFileSync(join(ROOT, FIXTURES.plugin), 'utf8'), renderFixtures()[FIXTURES.plugin]);
    for (const f of fixtures) {
      const text = readFileSync(join(ROOT, f.source.file), 'utf8');
      assert.equal(createHash('sha256').update(text).digest('hex'), f.source.sha256, f.source.file);
    }
  });

  for (const f of fixtures) {
    it(`generated descriptors match ${f.source.file}`, () => {
      const file = generatedFiles[f.source.file as keyof typeof generatedFiles];
      assert.ok(file, `no generated file for ${f.source.file}`);
      assert.deepEqual(diffInventories(f.inventory, inventoryFromDescFile(file)), { missing: [], extra: [], changed: [] });
    });
  }

  it('service paths Terraform/go-plugin call', () => {
    assert.equal(GRPCController.typeName, 'plugin.GRPCController');
    assert.equal(GRPCController.methods[0].name, 'Shutdown');
    assert.equal(GRPCController.methods[0].input.typeName, 'plugin.Empty');
    assert.equal(GRPCStdio.typeName, 'plugin.GRPCStdio');
    assert.equal(GRPCStdio.methods[0].name, 'StreamStdio');
    assert.equal(GRPCStdio.methods[0].methodKind, 'server_streaming');
    assert.equal(GRPCStdio.methods[0].input.typeName, 'google.protobuf.Empty');
    assert.equal(Health.typeName, 'grpc.health.v1.Health');
    assert.deepEqual(Health.methods.map((m) => [m.name, m.methodKind]).sort(), [['Check', 'unary'], ['List', 'unary'], ['Watch', 'server_streaming']]);
  });

  it('wire bytes: SERVING health response is 08 01, StdioData fields 1 and 2', () => {
    const resp = create(HealthCheckResponseSchema, { status: HealthCheckResponse_ServingStatus.SERVING });
    assert.equal(Buffer.from(toBinary(HealthCheckResponseSchema, resp)).toString('hex'), '0801');
    const data = create(StdioDataSchema, { channel: StdioData_Channel.STDERR, data: new Uint8Array([0x68, 0x69]) });
    assert.equal(Buffer.from(toBinary(StdioDataSchema, data)).toString('hex'), '0802' + '12026869');
  });
});
