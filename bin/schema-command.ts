/**
 * `prewarm schema`: prints the Terraform provider's schema in the `terraform providers schema -json` shape,
 * without Terraform and without a controller. schemas/provider.json is this output (a test keeps them equal).
 * It lives here, above both halves, so that the controller never imports the provider.
 */
import type { Command } from '../controller/cli/command';
import { providerSchemaJsonText } from '../provider/schema-export';

export const schemaCommand: Command = {
  path: ['schema'],
  summary: 'Print the Terraform provider schema as JSON',
  description:
    'Prints the schema of terraform-provider-prewarm (provider block, resources prewarm_template,\n' +
    'prewarm_preset, prewarm_workspace and prewarm_notification_target, data source prewarm_preset)\n' +
    'in the shape of "terraform providers schema -json".\n' +
    'Documentation and CDKTF binding generators read it; schemas/provider.json in the repository is this output.',
  flags: [],
  examples: ['prewarm schema > schemas/provider.json'],
  async run(ctx) {
    ctx.io.stdout(providerSchemaJsonText());
    return 0;
  },
};
