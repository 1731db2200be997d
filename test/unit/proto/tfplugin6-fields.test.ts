// The generated tfplugin6 code must be wire-identical to the published protocol 6.10 definition.
//
// test/fixtures/tfplugin6-6.10-fields.json lists every message, field (name, number, label, type,
// oneof), enum value and RPC of the published file. It was extracted from the published text by
// test/tools/extract-proto-fields.ts (a plain text reader, not buf/protoc). This test compares it
// with the descriptors buf + protoc-gen-es generated into provider/gen.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from '@jest/globals';
import { file_tfplugin6, Provider } from '../../../provider/protocol';
import { diffInventories, inventoryFromDescFile } from '../../tools/descriptor-inventory';
import { FIXTURES, renderFixtures, type FieldFixture } from '../../tools/extract-proto-fields';
import type { ProtoInventory } from '../../tools/proto-text';

const ROOT = join(__dirname, '..', '..', '..');
const fixture: FieldFixture = JSON.parse(readFileSync(join(ROOT, FIXTURES.tfplugin6), 'utf8'));
const generated: ProtoInventory = inventoryFromDescFile(file_tfplugin6);

function lookup(inv: ProtoInventory, message: string, field: string) {
  return inv.fields.find((f) => f.message === message && f.field === field);
}

describe('tfplugin6 6.10 field numbers', () => {
  it('the fixture was extracted from the proto file as it is now (same text, up to date)', () => {
    const text = readFileSync(join(ROOT, fixture.source.file), 'utf8');
    assert.equal(text.length, fixture.source.chars);
    assert.equal(createHash('sha256').update(text).digest('hex'), fixture.source.sha256);
    assert.match(text, /^\/\/ Copyright \(c\) HashiCorp, Inc\.\n\/\/ SPDX-License-Identifier: MPL-2\.0\n\n\/\/ Terraform Plugin RPC protocol version 6\.10\n/);
    assert.equal(readFileSync(join(ROOT, FIXTURES.tfplugin6), 'utf8'), renderFixtures()[FIXTURES.tfplugin6], 'fixture is stale: run node --import tsx test/tools/extract-proto-fields.ts');
  });

  it('the fixture covers the whole published file', () => {
    const inv = fixture.inventory;
    assert.equal(inv.package, 'tfplugin6');
    assert.equal(inv.rpcs.length, 36);
    assert.ok(inv.fields.length >= 290, `only ${inv.fields.length} fields`);
    assert.ok(inv.messages.length >= 140, `only ${inv.messages.length} messages`);
    assert.equal(inv.enums.length, 5);
    assert.equal(inv.enumValues.length, 20);
  });

  it('every message, field, enum value and RPC of the generated descriptors matches the fixture exactly', () => {
    const diff = diffInventories(fixture.inventory, generated);
    assert.deepEqual(diff, { missing: [], extra: [], changed: [] });
  });

  it('every field number agrees, field by field', () => {
    for (const f of fixture.inventory.fields) {
      const g = lookup(generated, f.message, f.field);
      assert.ok(g, `generated code lacks ${f.message}.${f.field}`);
      assert.equal(g.number, f.number, `${f.message}.${f.field}`);
      assert.equal(g.type, f.type, `${f.message}.${f.field} type`);
      assert.equal(g.label, f.label, `${f.message}.${f.field} label`);
    }
  });

  it('gRPC method paths and streaming kinds', () => {
    assert.equal(Provider.typeName, 'tfplugin6.Provider');
    const byName = new Map(Provider.methods.map((m) => [m.name, m.methodKind]));
    for (const r of fixture.inventory.rpcs) {
      const kind = r.clientStreaming ? 'client_streaming' : r.serverStreaming ? 'server_streaming' : 'unary';
      assert.equal(byName.get(r.rpc), kind, `/tfplugin6.Provider/${r.rpc}`);
    }
    assert.equal(byName.get('ListResource'), 'server_streaming');
    assert.equal(byName.get('ReadStateBytes'), 'server_streaming');
    assert.equal(byName.get('WriteStateBytes'), 'client_streaming');
    assert.equal(byName.get('InvokeAction'), 'server_streaming');
  });

  // An independent check: field numbers of tfplugin6 6.10 written down here by hand, not taken from either proto
  // copy.
  it('agrees with the field numbers written down by hand', () => {
    const expected: Array<[string, string, number]> = [
      ['DynamicValue', 'msgpack', 1], ['DynamicValue', 'json', 2],
      ['Diagnostic', 'severity', 1], ['Diagnostic', 'summary', 2], ['Diagnostic', 'detail', 3], ['Diagnostic', 'attribute', 4],
      ['AttributePath', 'steps', 1], ['AttributePath.Step', 'attribute_name', 1], ['AttributePath.Step', 'element_key_string', 2], ['AttributePath.Step', 'element_key_int', 3],
      ['StopProvider.Response', 'Error', 1], ['RawState', 'json', 1], ['RawState', 'flatmap', 2],
      ['Schema', 'version', 1], ['Schema', 'block', 2],
      ['Schema.Block', 'version', 1], ['Schema.Block', 'attributes', 2], ['Schema.Block', 'block_types', 3], ['Schema.Block', 'description', 4],
      ['Schema.Block', 'description_kind', 5], ['Schema.Block', 'deprecated', 6], ['Schema.Block', 'deprecation_message', 7],
      ['Schema.Attribute', 'name', 1], ['Schema.Attribute', 'type', 2], ['Schema.Attribute', 'nested_type', 10], ['Schema.Attribute', 'description', 3],
      ['Schema.Attribute', 'required', 4], ['Schema.Attribute', 'optional', 5], ['Schema.Attribute', 'computed', 6], ['Schema.Attribute', 'sensitive', 7],
      ['Schema.Attribute', 'description_kind', 8], ['Schema.Attribute', 'deprecated', 9], ['Schema.Attribute', 'write_only', 11], ['Schema.Attribute', 'deprecation_message', 12],
      ['Schema.NestedBlock', 'type_name', 1], ['Schema.NestedBlock', 'block', 2], ['Schema.NestedBlock', 'nesting', 3], ['Schema.NestedBlock', 'min_items', 4], ['Schema.NestedBlock', 'max_items', 5],
      ['Schema.Object', 'attributes', 1], ['Schema.Object', 'nesting', 3],
      ['ServerCapabilities', 'plan_destroy', 1], ['ServerCapabilities', 'get_provider_schema_optional', 2], ['ServerCapabilities', 'move_resource_state', 3], ['ServerCapabilities', 'generate_resource_config', 4],
      ['ClientCapabilities', 'deferral_allowed', 1], ['ClientCapabilities', 'write_only_attributes_allowed', 2],
      ['Deferred', 'reason', 1], ['ResourceIdentityData', 'identity_data', 1],
      ['GetProviderSchema.Response', 'provider', 1], ['GetProviderSchema.Response', 'resource_schemas', 2], ['GetProviderSchema.Response', 'data_source_schemas', 3],
      ['GetProviderSchema.Response', 'diagnostics', 4], ['GetProviderSchema.Response', 'provider_meta', 5], ['GetProviderSchema.Response', 'server_capabilities', 6],
      ['GetProviderSchema.Response', 'functions', 7], ['GetProviderSchema.Response', 'ephemeral_resource_schemas', 8], ['GetProviderSchema.Response', 'list_resource_schemas', 9],
      ['GetProviderSchema.Response', 'state_store_schemas', 10], ['GetProviderSchema.Response', 'action_schemas', 11],
      ['ValidateProviderConfig.Request', 'config', 1], ['ValidateProviderConfig.Response', 'diagnostics', 2],
      ['ValidateResourceConfig.Request', 'type_name', 1], ['ValidateResourceConfig.Request', 'config', 2], ['ValidateResourceConfig.Request', 'client_capabilities', 3], ['ValidateResourceConfig.Response', 'diagnostics', 1],
      ['ValidateDataResourceConfig.Request', 'type_name', 1], ['ValidateDataResourceConfig.Request', 'config', 2], ['ValidateDataResourceConfig.Response', 'diagnostics', 1],
      ['ConfigureProvider.Request', 'terraform_version', 1], ['ConfigureProvider.Request', 'config', 2], ['ConfigureProvider.Request', 'client_capabilities', 3], ['ConfigureProvider.Response', 'diagnostics', 1],
      ['UpgradeResourceState.Request', 'type_name', 1], ['UpgradeResourceState.Request', 'version', 2], ['UpgradeResourceState.Request', 'raw_state', 3],
      ['UpgradeResourceState.Response', 'upgraded_state', 1], ['UpgradeResourceState.Response', 'diagnostics', 2],
      ['ReadResource.Request', 'type_name', 1], ['ReadResource.Request', 'current_state', 2], ['ReadResource.Request', 'private', 3], ['ReadResource.Request', 'provider_meta', 4],
      ['ReadResource.Request', 'client_capabilities', 5], ['ReadResource.Request', 'current_identity', 6],
      ['ReadResource.Response', 'new_state', 1], ['ReadResource.Response', 'diagnostics', 2], ['ReadResource.Response', 'private', 3], ['ReadResource.Response', 'deferred', 4], ['ReadResource.Response', 'new_identity', 5],
      ['PlanResourceChange.Request', 'type_name', 1], ['PlanResourceChange.Request', 'prior_state', 2], ['PlanResourceChange.Request', 'proposed_new_state', 3], ['PlanResourceChange.Request', 'config', 4],
      ['PlanResourceChange.Request', 'prior_private', 5], ['PlanResourceChange.Request', 'provider_meta', 6], ['PlanResourceChange.Request', 'client_capabilities', 7], ['PlanResourceChange.Request', 'prior_identity', 8],
      ['PlanResourceChange.Response', 'planned_state', 1], ['PlanResourceChange.Response', 'requires_replace', 2], ['PlanResourceChange.Response', 'planned_private', 3], ['PlanResourceChange.Response', 'diagnostics', 4],
      ['PlanResourceChange.Response', 'legacy_type_system', 5], ['PlanResourceChange.Response', 'deferred', 6], ['PlanResourceChange.Response', 'planned_identity', 7],
      ['ApplyResourceChange.Request', 'type_name', 1], ['ApplyResourceChange.Request', 'prior_state', 2], ['ApplyResourceChange.Request', 'planned_state', 3], ['ApplyResourceChange.Request', 'config', 4],
      ['ApplyResourceChange.Request', 'planned_private', 5], ['ApplyResourceChange.Request', 'provider_meta', 6], ['ApplyResourceChange.Request', 'planned_identity', 7],
      ['ApplyResourceChange.Response', 'new_state', 1], ['ApplyResourceChange.Response', 'private', 2], ['ApplyResourceChange.Response', 'diagnostics', 3], ['ApplyResourceChange.Response', 'legacy_type_system', 4], ['ApplyResourceChange.Response', 'new_identity', 5],
      ['ImportResourceState.Request', 'type_name', 1], ['ImportResourceState.Request', 'id', 2], ['ImportResourceState.Request', 'client_capabilities', 3], ['ImportResourceState.Request', 'identity', 4],
      ['ImportResourceState.ImportedResource', 'type_name', 1], ['ImportResourceState.ImportedResource', 'state', 2], ['ImportResourceState.ImportedResource', 'private', 3], ['ImportResourceState.ImportedResource', 'identity', 4],
      ['ImportResourceState.Response', 'imported_resources', 1], ['ImportResourceState.Response', 'diagnostics', 2], ['ImportResourceState.Response', 'deferred', 3],
      ['ReadDataSource.Request', 'type_name', 1], ['ReadDataSource.Request', 'config', 2], ['ReadDataSource.Request', 'provider_meta', 3], ['ReadDataSource.Request', 'client_capabilities', 4],
      ['ReadDataSource.Response', 'state', 1], ['ReadDataSource.Response', 'diagnostics', 2], ['ReadDataSource.Response', 'deferred', 3],
      ['MoveResourceState.Request', 'source_provider_address', 1], ['MoveResourceState.Request', 'source_type_name', 2], ['MoveResourceState.Request', 'source_schema_version', 3],
      ['MoveResourceState.Request', 'source_state', 4], ['MoveResourceState.Request', 'target_type_name', 5], ['MoveResourceState.Request', 'source_private', 6],
      ['MoveResourceState.Request', 'source_identity', 7], ['MoveResourceState.Request', 'source_identity_schema_version', 8],
      ['MoveResourceState.Response', 'target_state', 1], ['MoveResourceState.Response', 'diagnostics', 2], ['MoveResourceState.Response', 'target_private', 3], ['MoveResourceState.Response', 'target_identity', 4],
      ['Function', 'parameters', 1], ['Function', 'variadic_parameter', 2], ['Function', 'return', 3], ['Function', 'summary', 4], ['Function', 'description', 5],
      ['Function', 'description_kind', 6], ['Function', 'deprecation_message', 7],
      ['Function.Parameter', 'name', 1], ['Function.Parameter', 'type', 2], ['Function.Parameter', 'allow_null_value', 3], ['Function.Parameter', 'allow_unknown_values', 4],
      ['Function.Parameter', 'description', 5], ['Function.Parameter', 'description_kind', 6], ['Function.Return', 'type', 1],
      ['CallFunction.Request', 'name', 1], ['CallFunction.Request', 'arguments', 2], ['CallFunction.Response', 'result', 1], ['CallFunction.Response', 'error', 2],
      ['FunctionError', 'text', 1], ['FunctionError', 'function_argument', 2],
    ];
    for (const [message, field, number] of expected) {
      assert.equal(lookup(generated, message, field)?.number, number, `${message}.${field}`);
    }
    const enums: Array<[string, string, number]> = [
      ['Diagnostic.Severity', 'INVALID', 0], ['Diagnostic.Severity', 'ERROR', 1], ['Diagnostic.Severity', 'WARNING', 2],
      ['StringKind', 'PLAIN', 0], ['StringKind', 'MARKDOWN', 1],
      ['Schema.NestedBlock.NestingMode', 'INVALID', 0], ['Schema.NestedBlock.NestingMode', 'SINGLE', 1], ['Schema.NestedBlock.NestingMode', 'LIST', 2],
      ['Schema.NestedBlock.NestingMode', 'SET', 3], ['Schema.NestedBlock.NestingMode', 'MAP', 4], ['Schema.NestedBlock.NestingMode', 'GROUP', 5],
      ['Schema.Object.NestingMode', 'INVALID', 0], ['Schema.Object.NestingMode', 'SINGLE', 1], ['Schema.Object.NestingMode', 'LIST', 2],
      ['Schema.Object.NestingMode', 'SET', 3], ['Schema.Object.NestingMode', 'MAP', 4],
      ['Deferred.Reason', 'UNKNOWN', 0], ['Deferred.Reason', 'RESOURCE_CONFIG_UNKNOWN', 1], ['Deferred.Reason', 'PROVIDER_CONFIG_UNKNOWN', 2], ['Deferred.Reason', 'ABSENT_PREREQ', 3],
    ];
    for (const [e, value, number] of enums) {
      assert.equal(generated.enumValues.find((v) => v.enum === e && v.value === value)?.number, number, `${e}.${value}`);
    }
    const rpcNames = [
      'GetMetadata', 'GetProviderSchema', 'GetResourceIdentitySchemas', 'ValidateProviderConfig', 'ValidateResourceConfig', 'ValidateDataResourceConfig',
      'UpgradeResourceState', 'UpgradeResourceIdentity', 'ConfigureProvider', 'ReadResource', 'PlanResourceChange', 'ApplyResourceChange',
      'ImportResourceState', 'ReadDataSource', 'MoveResourceState', 'GenerateResourceConfig', 'ValidateEphemeralResourceConfig', 'OpenEphemeralResource',
      'RenewEphemeralResource', 'CloseEphemeralResource', 'GetFunctions', 'CallFunction', 'ListResource', 'ValidateListResourceConfig',
      'ValidateStateStoreConfig', 'ConfigureStateStore', 'ReadStateBytes', 'WriteStateBytes', 'LockState', 'UnlockState', 'GetStates', 'DeleteState',
      'PlanAction', 'InvokeAction', 'ValidateActionConfig', 'StopProvider',
    ];
    assert.deepEqual(generated.rpcs.map((r) => r.rpc).sort(), [...rpcNames].sort());
  });

  it('has none of the unreleased 6.11 additions', () => {
    assert.equal(lookup(generated, 'Schema.Block', 'computed'), undefined);
    assert.equal(lookup(generated, 'ClientCapabilities', 'store_planned_private'), undefined);
    assert.equal(lookup(generated, 'ClientCapabilities', 'computed_blocks_allowed'), undefined);
  });
});
