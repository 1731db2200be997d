/**
 * The real terraform CLI and the built provider against a controller that is not there: the plan works (planning
 * never calls the controller), the apply fails with a diagnostic that tells a Terraform user what to change: the
 * provider's endpoint attribute or PREWARM_ENDPOINT, never a prewarm CLI flag such as --endpoint.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, jest, test } from '@jest/globals';
import { skipping } from '../helpers/skip';
import { describeResult, TerraformWorkspace, terraformUnavailable, type TerraformResult } from '../helpers/terraform';

jest.setTimeout(120_000);

const skip = terraformUnavailable();

const mainTf = (providerBody: string) => `terraform {
  required_providers {
    prewarm = { source = "registry.terraform.io/prewarm/prewarm" }
  }
}

provider "prewarm" {
${providerBody}
}

resource "prewarm_template" "t" {
  name   = "unreachable"
  driver = "localdir"
}
`;

/** A loopback port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

(skipping(skip, 'the unreachable-controller terraform test') ? describe.skip : describe)('provider diagnostics speak Terraform', () => {
  let work: string;
  let address: string;
  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tf-unreachable-'));
    address = `127.0.0.1:${await closedPort()}`;
  });
  afterAll(() => {
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const workspace = (name: string, providerBody: string, envEndpoint: string) => {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'main.tf'), mainTf(providerBody));
    return new TerraformWorkspace(dir, envEndpoint, 'pwt_unreachable-0123456789');
  };
  const applyFails = async (tf: TerraformWorkspace): Promise<string> => {
    let r: TerraformResult = await tf.plan();
    assert.equal(r.code, 2, `the plan needs no controller: ${describeResult(r)}`);
    r = await tf.apply();
    assert.equal(r.code, 1, `apply: ${describeResult(r)}`);
    assert.doesNotMatch(r.stderr, /--(endpoint|token|ca-cert|insecure|client-cert|client-key)\b/, `a CLI flag in:\n${r.stderr}`);
    return r.stderr.replace(/│ ?/g, '').replace(/\s+/g, ' ');
  };

  test('endpoint from the provider block: the apply error names the endpoint attribute', async () => {
    const text = await applyFails(workspace('attribute', `  endpoint = "${address}"`, '127.0.0.1:9'));
    assert.match(text, /Error: Cannot create template unreachable/);
    assert.match(text, new RegExp(`cannot reach the prewarm controller at ${address.replace(/\./g, '\\.')}: .*ECONNREFUSED`));
    assert.match(text, /Is it running, at the address of the provider's endpoint attribute\?/);
    assert.match(text, /If the controller uses TLS, write the endpoint as https:\/\/HOST:PORT or set ca_cert \(or PREWARM_CA_CERT\)/);
  });

  test('endpoint from PREWARM_ENDPOINT: the apply error names the variable', async () => {
    const text = await applyFails(workspace('environment', '', address));
    assert.match(text, /cannot reach the prewarm controller at .*PREWARM_ENDPOINT \(the provider block sets no endpoint\)/);
  });
});
