/**
 * The precomputed GetProviderSchema answer as bytes. Deliberately light: it imports nothing but the generated string,
 * so serving the schema builds no Schema message per block and loads no provider implementation.
 */
import { PROVIDER_SCHEMA_RESPONSE_BASE64 } from './gen/provider-schema-response';

let bytes: Uint8Array | undefined;

export function providerSchemaResponseBytes(): Uint8Array {
  return (bytes ??= Buffer.from(PROVIDER_SCHEMA_RESPONSE_BASE64, 'base64'));
}
