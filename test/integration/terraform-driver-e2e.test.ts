/**
 * The terraform driver end to end from the user's side: the real terraform CLI and provider declare a template with
 * driver "terraform" against a real controller. A bad module is refused at apply with the field named; a good one
 * builds a pool whose workspaces serve on loopback, and `terraform destroy` takes them down.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import { exampleDrivers, startTestController, type TestController } from '../helpers/controller';
import { skipping } from '../helpers/skip';
import { describeResult, TerraformWorkspace, terraformUnavailable } from '../helpers/terraform';
import { waitFor } from '../helpers/wait';

jest.setTimeout(300_000);

const skip = terraformUnavailable();

const mainTf = (module: string) => `terraform {
  required_providers {
    prewarm = { source = "registry.terraform.io/prewarm/prewarm" }
  }
}

provider "prewarm" {}

resource "prewarm_template" "webbox" {
  name   = "webbox"
  driver = "terraform"
  config = {
    module = "${module}"
  }
}

resource "prewarm_preset" "pool" {
  template   = prewarm_template.webbox.name
  name       = "pool"
  parameters = { greeting = "howdy" }
  prebuilds {
    instances = 1
  }
}
`;

(skipping(skip, 'the terraform driver end-to-end test') ? describe.skip : describe)('a template on the terraform driver, applied with terraform', () => {
  let ctl: TestController;
  let work: string;
  beforeAll(async () => {
    ctl = await startTestController({ modulesDir: path.join(exampleDrivers, 'terraform') });
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tf-driver-e2e-'));
  });
  afterAll(async () => {
    await ctl?.stop();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  test('a module outside the modules dir is refused naming config.module; a good one builds, serves and is destroyed', async () => {
    const tf = new TerraformWorkspace(work, `127.0.0.1:${ctl.running.apiPort}`, ctl.token);
    fs.writeFileSync(path.join(work, 'main.tf'), mainTf('../localdir'));
    let r = await tf.apply();
    assert.equal(r.code, 1, describeResult(r));
    const text = r.stderr.replace(/│ ?/g, '').replace(/\s+/g, ' ');
    assert.match(text, /config\.module|config\["module"\]/, describeResult(r));
    assert.match(text, /resolves outside the controller's --modules-dir/, describeResult(r));
    assert.deepEqual([...(await ctl.running.service.listTemplates())], [], 'nothing was stored');

    fs.writeFileSync(path.join(work, 'main.tf'), mainTf('workspace'));
    r = await tf.apply();
    assert.equal(r.code, 0, describeResult(r));
    const ready = await waitFor(
      'the pool to be ready',
      async () => {
        const list = await ctl.running.service.listInstances({ presetId: 'webbox/pool', state: 'ready' });
        return list.length === 1 ? list : false;
      },
      60_000,
    );
    const url = ready[0]!.attributes.url!;
    assert.equal(await (await fetch(url)).text(), `howdy from ${ready[0]!.name}\n`);

    r = await tf.run('destroy', '-auto-approve', '-no-color');
    assert.equal(r.code, 0, describeResult(r));
    await waitFor('the workspace to be destroyed', () => !fs.existsSync(path.join(ctl.stateDir, 'terraform', 'instances', ready[0]!.id)), 60_000);
    await assert.rejects(fetch(url), 'its server is gone');
  });
});
