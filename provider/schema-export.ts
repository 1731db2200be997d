/**
 * The provider schema in the shape `terraform providers schema -json` prints (format_version 1.0). It is checked
 * in as schemas/provider.json (printed by `prewarm schema`), where documentation tooling and the CDKTF binding
 * generator read it without starting Terraform. Key order follows Terraform's JSON output; attributes, block
 * types and schemas are sorted by name.
 */
import {
  DATA_SOURCE_SCHEMAS,
  modeFlags,
  PROVIDER_ADDRESS,
  PROVIDER_SCHEMA,
  RESOURCE_SCHEMAS,
  type AttributeDef,
  type BlockDef,
  type NestedBlockDef,
  type SchemaDef,
} from './schema';
import { sortedEntries } from './schema-proto';
import { typeToJSON } from './values';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function attributeJson(a: AttributeDef): Json {
  const out: { [key: string]: Json } = {
    type: JSON.parse(typeToJSON(a.type)) as Json,
    description: a.description,
    description_kind: 'markdown',
  };
  const flags = modeFlags(a.mode);
  if (flags.required) out.required = true;
  if (flags.optional) out.optional = true;
  if (flags.computed) out.computed = true;
  if (a.sensitive) out.sensitive = true;
  return out;
}

function blockTypeJson(nb: NestedBlockDef): Json {
  const out: { [key: string]: Json } = { nesting_mode: nb.nesting, block: blockJson(nb.block) };
  if (nb.minItems) out.min_items = nb.minItems;
  if (nb.maxItems) out.max_items = nb.maxItems;
  return out;
}

function blockJson(block: BlockDef): Json {
  const out: { [key: string]: Json } = {};
  const attributes = sortedEntries(block.attributes);
  if (attributes.length > 0) out.attributes = Object.fromEntries(attributes.map(([n, a]) => [n, attributeJson(a)]));
  const blocks = sortedEntries(block.blocks);
  if (blocks.length > 0) out.block_types = Object.fromEntries(blocks.map(([n, nb]) => [n, blockTypeJson(nb)]));
  out.description = block.description;
  out.description_kind = 'markdown';
  return out;
}

function schemaJson(schema: SchemaDef): Json {
  return { version: schema.version, block: blockJson(schema.block) };
}

function schemasJson(schemas: Readonly<Record<string, SchemaDef>>): Json {
  return Object.fromEntries(sortedEntries(schemas).map(([n, s]) => [n, schemaJson(s)]));
}

/** The whole export, as a plain JSON-able object. */
export function providerSchemaJson(): object {
  return {
    format_version: '1.0',
    provider_schemas: {
      [PROVIDER_ADDRESS]: {
        provider: schemaJson(PROVIDER_SCHEMA),
        resource_schemas: schemasJson(RESOURCE_SCHEMAS),
        data_source_schemas: schemasJson(DATA_SOURCE_SCHEMAS),
      },
    },
  };
}

/** The exact text of schemas/provider.json: two-space indentation and a final newline. */
export function providerSchemaJsonText(): string {
  return JSON.stringify(providerSchemaJson(), null, 2) + '\n';
}
