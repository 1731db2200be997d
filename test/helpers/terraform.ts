import { execFileSync, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from './controller';

export const providerDist = path.join(repoRoot, 'dist');
export const providerBinary = path.join(providerDist, 'terraform-provider-prewarm');

/** Why terraform end-to-end tests cannot run here, or undefined when they can. */
export function terraformUnavailable(): string | undefined {
  try {
    execFileSync('terraform', ['version'], { stdio: 'ignore', env: { ...process.env, TF_CLI_CONFIG_FILE: '/dev/null' } });
  } catch {
    return 'terraform is not on PATH; the end-to-end tests with the real CLI are skipped';
  }
  if (!fs.existsSync(providerBinary)) {
    try {
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'ignore' });
    } catch {
      return 'npm run build failed, so there is no dist/terraform-provider-prewarm to test';
    }
  }
  return fs.existsSync(providerBinary) ? undefined : 'dist/terraform-provider-prewarm was not built';
}

export interface TerraformResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** A working directory wired to the built provider through a generated CLI config with dev_overrides. */
export class TerraformWorkspace {
  readonly env: NodeJS.ProcessEnv;

  constructor(
    readonly dir: string,
    endpoint: string,
    token: string,
  ) {
    const cliConfig = path.join(dir, '.terraformrc');
    fs.writeFileSync(
      cliConfig,
      `provider_installation {\n  dev_overrides {\n    "registry.terraform.io/prewarm/prewarm" = "${providerDist}"\n  }\n  direct {}\n}\n`,
    );
    this.env = {
      ...process.env,
      TF_CLI_CONFIG_FILE: cliConfig,
      TF_IN_AUTOMATION: '1',
      CHECKPOINT_DISABLE: '1',
      TF_INPUT: '0',
      PREWARM_ENDPOINT: endpoint,
      PREWARM_TOKEN: token,
    };
  }

  /** Copies an example's .tf files in. */
  useExample(example: string): void {
    const src = path.join(repoRoot, 'examples', example);
    for (const f of fs.readdirSync(src).filter((f) => f.endsWith('.tf'))) fs.copyFileSync(path.join(src, f), path.join(this.dir, f));
  }

  run(...args: string[]): Promise<TerraformResult> {
    return new Promise((resolve, reject) => {
      const child = spawn('terraform', [...args], { cwd: this.dir, env: this.env, stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('exit', (code) => resolve({ code: code ?? -1, stdout, stderr }));
    });
  }

  /** `terraform plan -detailed-exitcode`: 0 no changes, 2 changes, 1 error. */
  plan(...args: string[]): Promise<TerraformResult> {
    return this.run('plan', '-detailed-exitcode', '-input=false', '-no-color', ...args);
  }

  apply(...args: string[]): Promise<TerraformResult> {
    return this.run('apply', '-auto-approve', '-input=false', '-no-color', ...args);
  }
}

export function describeResult(r: TerraformResult): string {
  return `exit ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`;
}
