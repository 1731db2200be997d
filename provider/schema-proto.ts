/**
 * Schema definitions (schema.ts) → tfplugin6 Schema messages for GetProviderSchema.
 *
 * Wire rules this module exists to get right: every Schema carries a block;
 * Attribute.type is the cty type JSON as bytes (`"string"` with its quotes); the schema version lives in
 * Schema.version, not Block.version; attributes and nested blocks are emitted in name order so the answer is
 * the same every time (we advertise get_provider_schema_optional, so Terraform may cache it).
 */
import { create } from '@bufbuild/protobuf';
import {
  SchemaSchema,
  Schema_AttributeSchema,
  Schema_BlockSchema,
  Schema_NestedBlockSchema,
  Schema_NestedBlock_NestingMode,
  StringKind,
  type Schema,
  type Schema_Attribute,
  type Schema_Block,
  type Schema_NestedBlock,
} from './protocol';
import { typeToJSONBytes } from './values';
import { modeFlags, type AttributeDef, type BlockDef, type NestedBlockDef, type SchemaDef } from './schema';

/** Entries in byte order of their names, so output never depends on object literal order. */
export function sortedEntries<T>(record: Readonly<Record<string, T>> | undefined): Array<[string, T]> {
  return Object.entries(record ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

function attributeToProto(name: string, a: AttributeDef): Schema_Attribute {
  return create(Schema_AttributeSchema, {
    name,
    type: typeToJSONBytes(a.type),
    description: a.description,
    descriptionKind: StringKind.MARKDOWN,
    ...modeFlags(a.mode),
    sensitive: a.sensitive === true,
  });
}

function nestedBlockToProto(name: string, nb: NestedBlockDef): Schema_NestedBlock {
  return create(Schema_NestedBlockSchema, {
    typeName: name,
    block: blockToProto(nb.block),
    nesting: Schema_NestedBlock_NestingMode.LIST,
    minItems: BigInt(nb.minItems ?? 0),
    maxItems: BigInt(nb.maxItems ?? 0),
  });
}

export function blockToProto(block: BlockDef): Schema_Block {
  return create(Schema_BlockSchema, {
    attributes: sortedEntries(block.attributes).map(([name, a]) => attributeToProto(name, a)),
    blockTypes: sortedEntries(block.blocks).map(([name, nb]) => nestedBlockToProto(name, nb)),
    description: block.description,
    descriptionKind: StringKind.MARKDOWN,
  });
}

export function schemaToProto(schema: SchemaDef): Schema {
  return create(SchemaSchema, { version: BigInt(schema.version), block: blockToProto(schema.block) });
}
