/**
 * The terraform driver's shared plugin cache with a real provider: modules that need the prewarm provider, installed
 * from this checkout's release zip through a packed filesystem mirror (the CLI config an operator would give the
 * controller). The first instance's init unpacks the zip into the cache; every instance links its provider from
 * there, and each lock file holds the release's hash. Registry downloads reach the cache the same way (a zip
 * unpacked into it) but need the network, which tests here do not have.
 */
import { afterAll, beforeAll, expect, jest, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { systemClock } from '../../controller/clock/clock';
import { describeOutcome, type DriverOutcome } from '../../controller/drivers/exec';
import { TerraformDriver, prepareTerraformRoot } from '../../controller/drivers/terraform/terraform-driver';
import { driverRequest } from '../helpers/fixtures';
import { skipping } from '../helpers/skip';
import { PROVIDER_ADDRESS, terraformUnavailable, testRelease } from '../helpers/terraform';

// The first file to ask for this checkout's release builds it.
jest.setTimeout(20 * 60_000);

const unavailable = terraformUnavailable();
let base: string;

beforeAll(() => {
  base = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tf-cache-'));
});

afterAll(() => {
  fs.rmSync(base, { recursive: true, force: true });
});

function ok(o: DriverOutcome): Record<string, string> {
  if (o.kind !== 'ok') throw new Error(`expected ok, got ${describeOutcome(o)}\n${o.stderr}`);
  return o.attributes;
}

/** Every file under `dir` (symlinks not followed), relative to it. */
function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(dir, { recursive: true, withFileTypes: true })
    // parentPath from Node 20.12; `path`, its older name, before.
    .flatMap((e) => (e.isDirectory() ? [] : [path.relative(dir, path.join(e.parentPath ?? (e as { path?: string }).path ?? dir, e.name))]));
}

(skipping(unavailable ?? false, 'the terraform driver\'s plugin cache test') ? test.skip : test)(
  'two instances of a module that needs a provider: one copy in the shared plugin cache, linked into both, locked to the release\'s hash',
  async () => {
    const release = testRelease();
    const modules = path.join(base, 'modules');
    fs.mkdirSync(path.join(modules, 'with-provider'), { recursive: true });
    fs.writeFileSync(
      path.join(modules, 'with-provider', 'main.tf'),
      `terraform {\n  required_providers {\n    prewarm = { source = "prewarm/prewarm" }\n  }\n}\noutput "installed" { value = "yes" }\n`,
    );
    // Only the zip, as a registry or network mirror serves it: from an unpacked mirror terraform would link the
    // cache entry to the mirror's directory instead of unpacking a copy.
    const packed = path.join(base, 'packed');
    const zips = path.join(release.mirror, PROVIDER_ADDRESS);
    fs.mkdirSync(path.join(packed, PROVIDER_ADDRESS), { recursive: true });
    for (const zip of fs.readdirSync(zips).filter((f) => f.endsWith('.zip'))) fs.copyFileSync(path.join(zips, zip), path.join(packed, PROVIDER_ADDRESS, zip));
    const cliConfig = path.join(base, 'terraformrc');
    fs.writeFileSync(
      cliConfig,
      `provider_installation {\n  filesystem_mirror {\n    path    = "${packed}"\n    include = ["${PROVIDER_ADDRESS}"]\n  }\n  direct {\n    exclude = ["${PROVIDER_ADDRESS}"]\n  }\n}\n`,
    );
    const root = path.join(base, 'root');
    prepareTerraformRoot(root, systemClock.now());
    const driver = new TerraformDriver({ modulesDir: modules, root, clock: systemClock, env: { TF_CLI_CONFIG_FILE: cliConfig } });
    const requests = ['cache-1', 'cache-2'].map((id) => driverRequest('create', { instance: { id, name: id }, config: { module: 'with-provider' }, parameters: {} }));

    for (const req of requests) expect(ok(await driver.run(req))).toEqual({ installed: 'yes' });

    const cache = path.join(root, 'plugin-cache');
    const cached = filesUnder(cache).filter((f) => f.startsWith(`${PROVIDER_ADDRESS}/`));
    expect(cached).toHaveLength(1);
    expect(path.basename(cached[0]!)).toMatch(/^terraform-provider-prewarm_v/);
    const cachedDir = path.dirname(path.join(cache, cached[0]!));
    expect(fs.lstatSync(cachedDir).isSymbolicLink()).toBe(false);
    for (const req of requests) {
      const dir = path.join(root, 'instances', req.instance.id);
      // terraform links a cached provider into the working directory instead of copying it.
      const installed = path.join(dir, '.terraform', 'providers', path.relative(cache, cachedDir));
      expect(fs.lstatSync(installed).isSymbolicLink()).toBe(true);
      expect(fs.realpathSync(installed)).toBe(fs.realpathSync(cachedDir));
      expect(fs.readFileSync(path.join(dir, '.terraform.lock.hcl'), 'utf8')).toContain(`"${release.h1}"`);
    }

    for (const req of requests) ok(await driver.run({ ...req, op: 'delete' }));
    expect(fs.readdirSync(path.join(root, 'instances'))).toEqual([]);
    // The cache outlives the instances: the next one installs from it again.
    expect(filesUnder(cache).filter((f) => f.startsWith(`${PROVIDER_ADDRESS}/`))).toEqual(cached);
  },
);
