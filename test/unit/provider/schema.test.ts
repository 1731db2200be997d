/**
 * The schema as Terraform receives it (GetProviderSchema, GetMetadata) and as it is exported
 * (schemas/provider.json, `prewarm schema`).
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { create } from '@bufbuild/protobuf';
import {
  GetMetadata_RequestSchema,
  GetProviderSchema_RequestSchema,
  Schema_NestedBlock_NestingMode,
  StringKind,
  type Schema,
  type Schema_Block,
} from '../../../provider/protocol';
import { createProviderHandlers } from '../../../provider/rpc-handlers';
import { providerSchemaJson, providerSchemaJsonText } from '../../../provider/schema-export';
import { encodeProviderSchemaResponse, providerSchemaModuleText } from '../../../provider/provider-schema';
import { providerSchemaResponseBytes } from '../../../provider/schema-blob';
import { GENERATED_SCHEMA_MODULE } from '../../../bin/gen-provider-schema';
import { DATA_SOURCE_SCHEMAS, PROVIDER_SCHEMA, RESOURCE_SCHEMAS, type BlockDef } from '../../../provider/schema';
import { impliedType } from '../../../provider/implied-type';
import { typeFromJSON, typeToString } from '../../../provider/values';
import { impliedTypeOfBlock, type JsonBlock } from '../../helpers/plan-rules';
import { ctx } from '../../helpers/provider-harness';
import { runCli } from '../../helpers/cli-harness';

const SCHEMA_FILE = join(__dirname, '..', '..', '..', 'schemas', 'provider.json');
const REGENERATE = 'regenerate it with: node --import tsx bin/prewarm.ts schema > schemas/provider.json';

const h = createProviderHandlers({ env: {} });

function walkBlocks(block: Schema_Block, path: string, visit: (b: Schema_Block, path: string) => void): void {
  visit(block, path);
  for (const nb of block.blockTypes) walkBlocks(nb.block!, `${path}.${nb.typeName}`, visit);
}

describe('GetProviderSchema', () => {
  test('the precomputed answer the provider serves is the one the schema definitions build today', () => {
    const built = encodeProviderSchemaResponse();
    assert.ok(
      Buffer.from(built).equals(Buffer.from(providerSchemaResponseBytes())),
      'provider/gen/provider-schema-response.ts is out of date: regenerate it with npm run gen:schema',
    );
    const file = readFileSync(GENERATED_SCHEMA_MODULE, 'utf8');
    assert.equal(file, providerSchemaModuleText(built), 'the generated module is not in the generator\'s format: npm run gen:schema');
  });

  test('provider, the four resources and the data source, each with a block; capabilities; deterministic', async () => {
    const res = await h.getProviderSchema!(create(GetProviderSchema_RequestSchema), ctx());
    const again = await h.getProviderSchema!(create(GetProviderSchema_RequestSchema), ctx());
    assert.deepEqual(res, again);
    assert.ok(res.provider && (res.provider as Schema).block);
    assert.deepEqual(Object.keys(res.resourceSchemas ?? {}).sort(), ['prewarm_notification_target', 'prewarm_preset', 'prewarm_template', 'prewarm_workspace']);
    assert.deepEqual(Object.keys(res.dataSourceSchemas ?? {}), ['prewarm_preset']);
    assert.equal(res.serverCapabilities?.getProviderSchemaOptional, true);
    assert.ok(!res.serverCapabilities?.planDestroy);
    assert.equal(res.providerMeta, undefined, 'no provider_meta schema (one without a block crashes Terraform)');
  });

  test('every attribute and block: valid name, a valid mode, parseable type JSON, a Markdown description', async () => {
    const res = await h.getProviderSchema!(create(GetProviderSchema_RequestSchema), ctx());
    const schemas: Array<[string, Schema]> = [
      ['provider', res.provider as Schema],
      ...Object.entries(res.resourceSchemas as Record<string, Schema>),
      ...Object.entries(res.dataSourceSchemas as Record<string, Schema>).map(([n, s]) => [`data.${n}`, s] as [string, Schema]),
    ];
    for (const [name, schema] of schemas) {
      assert.equal(schema.version, 0n, name);
      walkBlocks(schema.block!, name, (block, path) => {
        assert.ok(block.description.length > 10, `${path}: block description`);
        assert.equal(block.descriptionKind, StringKind.MARKDOWN, path);
        const names = new Set<string>();
        for (const a of block.attributes) {
          const where = `${path}.${a.name}`;
          assert.match(a.name, /^[a-z0-9_]+$/, where);
          assert.ok(!names.has(a.name), `${where} duplicated`);
          names.add(a.name);
          // Terraform's combinations: required alone, optional, computed, or optional+computed (a provider default).
          const mode = [a.required, a.optional, a.computed].map(Number).join('');
          assert.ok(['100', '010', '001', '011'].includes(mode), `${where}: required alone, optional and/or computed (got ${mode})`);
          assert.doesNotThrow(() => typeFromJSON(a.type), where);
          assert.ok(a.description.length > 5, `${where}: description`);
          assert.equal(a.descriptionKind, StringKind.MARKDOWN, where);
        }
        for (const nb of block.blockTypes) {
          assert.ok(!names.has(nb.typeName), `${path}.${nb.typeName} is both an attribute and a block`);
          assert.equal(nb.nesting, Schema_NestedBlock_NestingMode.LIST);
          assert.ok(nb.maxItems === 0n || nb.minItems <= nb.maxItems);
        }
      });
    }
  });

  test('the wire types match the implied types the codec uses', async () => {
    const res = await h.getProviderSchema!(create(GetProviderSchema_RequestSchema), ctx());
    const token = (res.provider as Schema).block!.attributes.find((a) => a.name === 'token')!;
    assert.equal(Buffer.from(token.type).toString(), '"string"');
    assert.ok(token.sensitive);
    const exported = providerSchemaJson() as {
      provider_schemas: Record<string, { resource_schemas: Record<string, { block: JsonBlock }>; data_source_schemas: Record<string, { block: JsonBlock }> }>;
    };
    const ps = Object.values(exported.provider_schemas)[0];
    for (const [n, s] of Object.entries(RESOURCE_SCHEMAS)) {
      assert.equal(typeToString(impliedTypeOfBlock(ps.resource_schemas[n].block)), typeToString(impliedType(s.block)), n);
    }
    for (const [n, s] of Object.entries(DATA_SOURCE_SCHEMAS)) {
      assert.equal(typeToString(impliedTypeOfBlock(ps.data_source_schemas[n].block)), typeToString(impliedType(s.block)), n);
    }
    assert.equal(
      typeToString(impliedType(RESOURCE_SCHEMAS.prewarm_preset.block)),
      'object({default=bool, description=string, id=string, name=string, parameters=map(string), ' +
        'prebuilds=list(object({expiration_policy=list(object({ttl=number})), instances=number, ' +
        'scheduling=list(object({lead_time=string, schedule=list(object({cron=string, instances=number})), timezone=string}))})), template=string})',
    );
    assert.equal(
      typeToString(impliedType(RESOURCE_SCHEMAS.prewarm_template.block)),
      'object({config=map(string), driver=string, id=string, lifecycle_policy=list(object({auto_destroy_reminder=string, ' +
        'autostop_after=string, autostop_reminder=string, dormant_after=string, dormant_delete_after=string, stopped_ttl=string})), ' +
        'name=string, version=number})',
    );
    assert.equal(
      typeToString(impliedType(RESOURCE_SCHEMAS.prewarm_workspace.block)),
      'object({attributes=map(string), auto_destroy_at=string, auto_destroy_inactivity=string, deadline=string, id=string, ' +
        'name=string, owner=string, preset=string, state=string, template=string, wait_ready=string})',
    );
    assert.equal(
      typeToString(impliedType(RESOURCE_SCHEMAS.prewarm_notification_target.block)),
      'object({enabled=bool, events=list(string), format=string, id=string, name=string, secret=string, url=string})',
    );
  });

  test('GetMetadata lists the same types and capabilities', async () => {
    const res = await h.getMetadata!(create(GetMetadata_RequestSchema), ctx());
    assert.deepEqual((res.resources ?? []).map((r) => r.typeName).sort(), ['prewarm_notification_target', 'prewarm_preset', 'prewarm_template', 'prewarm_workspace']);
    assert.deepEqual((res.dataSources ?? []).map((r) => r.typeName), ['prewarm_preset']);
    assert.equal(res.serverCapabilities?.getProviderSchemaOptional, true);
  });
});

describe('schema export', () => {
  test(`schemas/provider.json equals the current export (${REGENERATE})`, () => {
    let file: string;
    try {
      file = readFileSync(SCHEMA_FILE, 'utf8');
    } catch {
      assert.fail(`schemas/provider.json is missing; ${REGENERATE}`);
    }
    assert.equal(file, providerSchemaJsonText(), `schemas/provider.json is out of date; ${REGENERATE}`);
  });

  test('prewarm schema prints it', async () => {
    const r = await runCli(['schema']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, providerSchemaJsonText());
  });

  test('the terraform providers schema -json shape', () => {
    const j = providerSchemaJson() as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
    assert.equal(j.format_version, '1.0');
    const ps = j.provider_schemas['registry.terraform.io/prewarm/prewarm'];
    assert.deepEqual(Object.keys(ps), ['provider', 'resource_schemas', 'data_source_schemas']);
    const prebuilds = ps.resource_schemas.prewarm_preset.block.block_types.prebuilds;
    assert.equal(prebuilds.nesting_mode, 'list');
    assert.equal(prebuilds.max_items, 1);
    const schedule = prebuilds.block.block_types.scheduling.block.block_types.schedule;
    assert.equal(schedule.min_items, 1);
    assert.equal(schedule.max_items, undefined);
    assert.deepEqual(ps.resource_schemas.prewarm_template.block.attributes.config.type, ['map', 'string']);
    assert.equal(ps.provider.block.attributes.token.sensitive, true);
    assert.equal(ps.resource_schemas.prewarm_template.block.attributes.version.computed, true);
    const policy = ps.resource_schemas.prewarm_template.block.block_types.lifecycle_policy;
    assert.equal(policy.nesting_mode, 'list');
    assert.equal(policy.max_items, 1);
    assert.equal(policy.min_items, undefined);
    assert.deepEqual(Object.keys(policy.block.attributes).sort(), [
      'auto_destroy_reminder',
      'autostop_after',
      'autostop_reminder',
      'dormant_after',
      'dormant_delete_after',
      'stopped_ttl',
    ]);
    for (const a of Object.values(policy.block.attributes) as Array<Record<string, unknown>>) {
      assert.deepEqual([a.type, a.optional, a.required, a.computed], ['string', true, undefined, undefined]);
    }
    const ws = ps.resource_schemas.prewarm_workspace.block.attributes;
    for (const n of ['template', 'preset', 'owner']) assert.equal(ws[n].required, true, n);
    for (const n of ['auto_destroy_at', 'auto_destroy_inactivity', 'wait_ready']) assert.equal(ws[n].optional, true, n);
    for (const n of ['id', 'name', 'state', 'attributes', 'deadline']) assert.equal(ws[n].computed, true, n);
    assert.deepEqual(ws.attributes.type, ['map', 'string']);
    assert.match(ws.auto_destroy_at.description, /ignore_changes/);
  });

  test('every attribute and block of the definitions has a description', () => {
    const check = (block: BlockDef, path: string) => {
      assert.ok(block.description.trim().length > 0, `${path}: block description`);
      for (const [n, a] of Object.entries(block.attributes)) assert.ok(a.description.trim().length > 0, `${path}.${n}`);
      for (const [n, nb] of Object.entries(block.blocks ?? {})) check(nb.block, `${path}.${n}`);
    };
    check(PROVIDER_SCHEMA.block, 'provider');
    for (const [n, s] of Object.entries(RESOURCE_SCHEMAS)) check(s.block, n);
    for (const [n, s] of Object.entries(DATA_SOURCE_SCHEMAS)) check(s.block, `data.${n}`);
  });
});
