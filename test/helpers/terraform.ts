import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from './controller';

export const providerDist = path.join(repoRoot, 'dist');
export const providerBinary = path.join(providerDist, 'terraform-provider-prewarm');
export const PROVIDER_ADDRESS = 'registry.terraform.io/prewarm/prewarm';

/** Why terraform end-to-end tests cannot run here, or undefined when they can (the release they install is built). */
export function terraformUnavailable(): string | undefined {
  const terraform = terraformPath();
  if (terraform === undefined) return 'terraform is not on PATH; the end-to-end tests with the real CLI are skipped';
  if (!fs.existsSync(providerBinary)) {
    try {
      execFileSync('npm', ['run', '--silent', 'build'], { cwd: repoRoot, stdio: 'ignore' });
    } catch {
      return 'npm run build failed, so there is no dist/terraform-provider-prewarm to test';
    }
  }
  // A release that does not build is a failure of the tests that need it, not a reason to skip them.
  testRelease();
  return fs.existsSync(providerBinary) ? undefined : 'dist/terraform-provider-prewarm was not built';
}

/** The terraform on PATH, or undefined. */
export function terraformPath(): string | undefined {
  try {
    return execFileSync('sh', ['-c', 'command -v terraform'], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface TestRelease {
  /** The filesystem mirror (unpacked and packed layouts) terraform init installs from. */
  mirror: string;
  /** The h1: hash terraform init must write to .terraform.lock.hcl. */
  h1: string;
}

let built: TestRelease | undefined;
/**
 * The provider release of this checkout, built once for every test file and process that asks (in the system temp
 * directory, keyed by the sources it is built from): end-to-end tests install the provider the way users do.
 */
export function testRelease(): TestRelease {
  if (built) return built;
  // Keyed by the working tree's contents (untracked files too) of everything the release is built from.
  const inputs = ['provider', 'controller', 'bin', 'proto', 'package.json', 'package-lock.json', 'tsconfig.json'];
  const files = execFileSync('git', ['ls-files', '-co', '--exclude-standard', '--', ...inputs], { cwd: repoRoot, encoding: 'utf8' })
    .split('\n')
    .filter((f) => f !== '' && fs.existsSync(path.join(repoRoot, f)))
    .sort();
  const hash = createHash('sha256').update(process.version);
  for (const f of files) hash.update(`${f}\0`).update(fs.readFileSync(path.join(repoRoot, f)));
  const key = hash.digest('hex').slice(0, 16);
  const prefix = path.join(os.tmpdir(), 'prewarm-test-release-');
  const dir = `${prefix}${key}`;
  const info = path.join(dir, 'release.json');
  for (let attempt = 0; !fs.existsSync(info) && attempt < 2; attempt++) {
    // A directory without release.json is a damaged leftover.
    if (fs.existsSync(dir)) fs.rmSync(dir, { recursive: true, force: true });
    // Built aside and renamed into place: files that build at once each get a whole release, and one of them wins.
    const staging = fs.mkdtempSync(`${dir}.building-`);
    try {
      // The build machine's platform only: terraform here installs that one, and other platforms need the registry.
      const script = `const build = require('./bin/release'); build.release({ out: ${JSON.stringify(path.join(staging, 'out'))}, allowDirty: true, ignoreTags: true, platforms: [build.platformName()], log: () => {} })` +
        `.then((r) => process.stdout.write(JSON.stringify({ h1: r.h1 })), (e) => { process.stderr.write(String(e && e.message)); process.exit(1); })`;
      const out = execFileSync(process.execPath, ['--import', 'tsx', '-e', script], {
        cwd: repoRoot,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
        timeout: 15 * 60_000,
      });
      fs.writeFileSync(path.join(staging, 'out', 'release.json'), out);
      try {
        fs.renameSync(path.join(staging, 'out'), dir);
      } catch (err) {
        if (!['EEXIST', 'ENOTEMPTY'].includes((err as NodeJS.ErrnoException).code ?? '')) throw err;
      }
    } finally {
      fs.rmSync(staging, { recursive: true, force: true });
    }
    // Releases of earlier source states are ~180 MB each: keep only this one (and builds in progress).
    for (const other of fs.readdirSync(os.tmpdir())) {
      const full = path.join(os.tmpdir(), other);
      if (full.startsWith(prefix) && full !== dir && !other.includes('.building-')) fs.rmSync(full, { recursive: true, force: true });
    }
  }
  const { h1 } = JSON.parse(fs.readFileSync(info, 'utf8')) as { h1: string };
  built = { mirror: path.join(dir, 'mirror'), h1 };
  return built;
}

export interface TerraformResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A working directory that installs the provider as users do: a CLI config with a filesystem_mirror of this checkout's
 * release (testRelease), `terraform init` before the first command that needs it (the lock file checked for the
 * release's h1: hash), and a PATH with terraform on it and nothing else, so the provider cannot lean on node.
 */
export class TerraformWorkspace {
  readonly env: NodeJS.ProcessEnv;
  private initialized = false;

  constructor(
    readonly dir: string,
    endpoint: string,
    token: string,
  ) {
    const release = testRelease();
    const cliConfig = path.join(dir, '.terraformrc');
    fs.writeFileSync(
      cliConfig,
      `provider_installation {\n  filesystem_mirror {\n    path    = "${release.mirror}"\n    include = ["${PROVIDER_ADDRESS}"]\n  }\n` +
        `  direct {\n    exclude = ["${PROVIDER_ADDRESS}"]\n  }\n}\n`,
    );
    const bin = path.join(dir, '.bin');
    fs.mkdirSync(bin, { recursive: true });
    fs.symlinkSync(terraformPath()!, path.join(bin, 'terraform'));
    this.env = {
      ...process.env,
      PATH: bin,
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

  /** Runs terraform; a command that needs the provider installed runs `terraform init` first, once. */
  async run(...args: string[]): Promise<TerraformResult> {
    if (!this.initialized && !['init', 'version', 'fmt'].includes(args[0] ?? '')) {
      const init = await this.exec('init', '-input=false', '-no-color');
      if (init.code !== 0) return init;
      this.checkLock();
    }
    if (args[0] === 'init') {
      const r = await this.exec(...args);
      if (r.code === 0) this.checkLock();
      return r;
    }
    return this.exec(...args);
  }

  /** After init: the lock file records the release's h1: hash for our provider (what a user's lock file gets from the mirror). */
  private checkLock(): void {
    const lockFile = path.join(this.dir, '.terraform.lock.hcl');
    const lock = fs.existsSync(lockFile) ? fs.readFileSync(lockFile, 'utf8') : '';
    const h1 = testRelease().h1;
    // A configuration without the prewarm provider (the terraform_data baseline) installs and locks nothing of ours.
    const installed = fs.existsSync(path.join(this.dir, '.terraform', 'providers', PROVIDER_ADDRESS));
    if ((installed || lock.includes(`"${PROVIDER_ADDRESS}"`)) && !(lock.includes(`"${PROVIDER_ADDRESS}"`) && lock.includes(`"${h1}"`))) {
      throw new Error(`terraform init did not lock ${PROVIDER_ADDRESS} at the release's ${h1}:\n${lock}`);
    }
    this.initialized = true;
  }

  private exec(...args: string[]): Promise<TerraformResult> {
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
