/**
 * `npm run gen:schema`: writes provider/gen/provider-schema-response.ts, the encoded GetProviderSchema answer the
 * provider serves. Run it after changing provider/schema.ts; a unit test fails while the file is out of date.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { encodeProviderSchemaResponse, providerSchemaModuleText } from '../provider/provider-schema';

export const GENERATED_SCHEMA_MODULE = path.join(__dirname, '..', 'provider', 'gen', 'provider-schema-response.ts');

if (require.main === module) {
  const text = providerSchemaModuleText(encodeProviderSchemaResponse());
  const before = fs.existsSync(GENERATED_SCHEMA_MODULE) ? fs.readFileSync(GENERATED_SCHEMA_MODULE, 'utf8') : '';
  if (before === text) {
    process.stdout.write(`${path.relative(process.cwd(), GENERATED_SCHEMA_MODULE)} is up to date\n`);
  } else {
    fs.writeFileSync(GENERATED_SCHEMA_MODULE, text);
    process.stdout.write(`wrote ${path.relative(process.cwd(), GENERATED_SCHEMA_MODULE)}\n`);
  }
}
