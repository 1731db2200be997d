/**
 * The README's Terraform example, written with CDKTF instead of HCL.
 *
 *   node --import tsx examples/cdktf/main.ts     → examples/cdktf/cdktf.out/stacks/prewarm/cdk.tf.json
 *
 * Synthesis needs no terraform. The output directory is $CDKTF_OUTDIR when set (the cdktf CLI sets it), otherwise
 * cdktf.out next to this file. The bindings come from schemas/cdktf (see examples/cdktf/README.md).
 */
import path from 'node:path';
import { App, TerraformOutput, TerraformStack, TerraformVariable } from 'cdktf';
import type { Construct } from 'constructs';
import { dataPrewarmPreset, preset, provider, template } from '../../schemas/cdktf/providers/prewarm';

export const STACK_NAME = 'prewarm';

export class PrewarmStack extends TerraformStack {
  constructor(scope: Construct, id: string) {
    super(scope, id);

    // No backend block. cdktf always writes one, by default `local` with an absolute path taken from the directory
    // synth ran in, which ties the state to one checkout on one machine. Without the block terraform keeps its default
    // local state, terraform.tfstate in the directory it runs in (cdktf.out/stacks/prewarm/). Declare a real backend
    // for state that a team or a pipeline shares.
    this.addOverride('terraform.backend', undefined);

    // Both are optional and default to null; a null provider argument counts as unset, so the provider then reads
    // PREWARM_ENDPOINT and PREWARM_TOKEN. Set them with TF_VAR_prewarm_endpoint / TF_VAR_prewarm_token or -var.
    const endpoint = optionalStringVariable(this, 'prewarm_endpoint', 'Controller API address (host:port); null means PREWARM_ENDPOINT');
    const token = optionalStringVariable(this, 'prewarm_token', 'Controller API token; null means PREWARM_TOKEN', true);

    new provider.PrewarmProvider(this, 'prewarm', {
      endpoint: endpoint.stringValue,
      token: token.stringValue,
    });

    // A prepared git checkout per instance, built by examples/drivers/localdir. Claimed checkouts stop after 8 hours
    // running and are deleted a week after they stopped.
    const devbox = new template.Template(this, 'devbox', {
      name: 'devbox',
      driver: 'localdir',
      config: { build_seconds: '2' },
      lifecyclePolicy: { autostopAfter: '8h', autostopReminder: '30m', stoppedTtl: '7d' },
    });

    // No idle pool at night; 3 warm checkouts on weekdays 08:00-18:59 and 1 on Saturdays 08:00-14:59, New York time,
    // each window warmed 30 minutes early. Instances are replaced after a day.
    const usNix = new preset.Preset(this, 'us_nix', {
      template: devbox.name,
      name: 'us-nix',
      description: 'US developer checkouts, warm during New York working hours',
      parameters: { region: 'us' },
      prebuilds: {
        instances: 0,
        expirationPolicy: { ttl: 86400 },
        scheduling: {
          timezone: 'America/New_York',
          leadTime: '30m',
          schedule: [
            { cron: '* 8-18 * * 1-5', instances: 3 },
            { cron: '* 8-14 * * 6', instances: 1 },
          ],
        },
      },
    });

    // Live pool status, read from the controller.
    const status = new dataPrewarmPreset.DataPrewarmPreset(this, 'us_nix_status', {
      template: devbox.name,
      name: usNix.name,
    });

    new TerraformOutput(this, 'us_nix_ready', {
      value: status.ready,
      description: 'Ready, unclaimed instances in the us-nix pool',
    });
  }
}

/**
 * `variable "<name>" { type = string, default = null }`. cdktf 0.21 cannot take `default: null` in the variable's
 * config (it fails while converting the config keys), so the null default is written as an override.
 */
function optionalStringVariable(scope: Construct, name: string, description: string, sensitive = false): TerraformVariable {
  const v = new TerraformVariable(scope, name, { type: 'string', nullable: true, sensitive, description });
  v.addOverride('default', null);
  return v;
}

export function synth(outdir = process.env.CDKTF_OUTDIR ?? path.join(__dirname, 'cdktf.out')): string {
  const app = new App({ outdir });
  new PrewarmStack(app, STACK_NAME);
  app.synth();
  return path.join(outdir, 'stacks', STACK_NAME, 'cdk.tf.json');
}

if (require.main === module) {
  process.stdout.write(`${synth()}\n`);
}
