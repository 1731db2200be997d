/**
 * Mutual TLS end to end: a CA, a server and a client certificate made with openssl; a real `prewarm controller`
 * process started with --tls-cert/--tls-key/--tls-client-ca; the real terraform CLI running the built provider
 * (dev_overrides, no init) with ca_cert, client_cert and client_key. Without a client certificate, with half of
 * one, with an unreadable one and with one from another CA, plan or apply fails with a diagnostic that says why
 * in Terraform's terms; with the right one, a template and a preset are applied, refreshed without changes (also
 * with the certificate and key as PEM text from PREWARM_CLIENT_CERT / PREWARM_CLIENT_KEY) and destroyed.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { createClient, type PrewarmClient } from '../../controller/api/client';
import { exampleDrivers, repoRoot } from '../helpers/controller';
import { makePki, opensslUnavailable, type Pki } from '../helpers/pki';
import { skipping } from '../helpers/skip';
import { describeResult, TerraformWorkspace, terraformUnavailable, type TerraformResult } from '../helpers/terraform';
import { waitFor } from '../helpers/wait';

jest.setTimeout(300_000);

const skip = opensslUnavailable() ?? terraformUnavailable();
const TOKEN = 'pwt_mtls-e2e-0123456789';

const MAIN_TF = `terraform {
  required_providers {
    prewarm = { source = "registry.terraform.io/prewarm/prewarm" }
  }
}

variable "ca_cert" {
  type = string
}

variable "client_cert" {
  type    = string
  default = null
}

variable "client_key" {
  type      = string
  default   = null
  sensitive = true
}

# endpoint and token come from PREWARM_ENDPOINT and PREWARM_TOKEN
provider "prewarm" {
  ca_cert     = var.ca_cert
  client_cert = var.client_cert
  client_key  = var.client_key
}

resource "prewarm_template" "mtls" {
  name   = "mtls"
  driver = "localdir"
  config = { build_seconds = "1" }
}

resource "prewarm_preset" "mtls" {
  template = prewarm_template.mtls.name
  name     = "pool"
  prebuilds {
    instances = 0
  }
}
`;

/** The CLI's client flags; a diagnostic for Terraform names attributes and PREWARM_* variables instead. */
const CLI_FLAG = /--(endpoint|token|ca-cert|insecure|client-cert|client-key)\b/;

(skipping(skip, 'the provider mutual-TLS end-to-end tests') ? describe.skip : describe)('provider with client certificates (mTLS)', () => {
  let work: string;
  let pki: Pki;
  let controller: ChildProcess | undefined;
  let controllerLog = '';
  let endpoint: string;
  let admin: PrewarmClient;
  let tf: TerraformWorkspace;

  beforeAll(async () => {
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-mtls-'));
    const pkiDir = path.join(work, 'pki');
    fs.mkdirSync(pkiDir);
    pki = makePki(pkiDir);

    // The real CLI with the real flags, from source (dist/prewarm may be older than the tree under test).
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(repoRoot, 'bin/prewarm.ts'),
        'controller',
        '--database', `sqlite:${path.join(work, 'prewarm.db')}`,
        '--listen', '127.0.0.1:0',
        '--ops-listen', '127.0.0.1:0',
        '--driver-dir', exampleDrivers,
        '--tls-cert', pki.path('server.pem'),
        '--tls-key', pki.path('server.key'),
        '--tls-client-ca', pki.path('ca.pem'),
        '--reconcile-interval', '1s',
      ],
      { cwd: repoRoot, env: { ...process.env, PREWARM_TOKEN: TOKEN, PREWARM_STATE_DIR: path.join(work, 'state') }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    controller = child;
    child.stdout!.on('data', (d) => (controllerLog += d));
    child.stderr!.on('data', (d) => (controllerLog += d));
    let listen: string | undefined;
    await waitFor(
      'the controller to start',
      () => {
        if (child.exitCode !== null) throw new Error(`the controller exited ${child.exitCode}:\n${controllerLog}`);
        const m = /"msg":"controller started".*?"listen":"([^"]+)"/.exec(controllerLog);
        listen = m?.[1];
        return listen !== undefined;
      },
      30_000,
    );
    endpoint = `https://${listen}`;
    admin = createClient({ endpoint, token: TOKEN, caCert: pki.read('ca.pem'), clientCert: pki.read('client.pem'), clientKey: pki.read('client.key') });

    const dir = path.join(work, 'tf');
    fs.mkdirSync(dir);
    fs.writeFileSync(path.join(dir, 'main.tf'), MAIN_TF);
    tf = new TerraformWorkspace(dir, endpoint, TOKEN);
  });

  afterAll(async () => {
    admin?.close();
    if (controller && controller.exitCode === null) {
      const child = controller;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([exited, new Promise((resolve) => (timer = setTimeout(resolve, 10_000)))]);
      clearTimeout(timer);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const vars = (o: { cert?: string; key?: string; ca?: string } = {}) => [
    '-var', `ca_cert=${o.ca ?? pki.path('ca.pem')}`,
    ...(o.cert === undefined ? [] : ['-var', `client_cert=${o.cert}`]),
    ...(o.key === undefined ? [] : ['-var', `client_key=${o.key}`]),
  ];
  const ok = (r: TerraformResult, want: number, what: string) => assert.equal(r.code, want, `${what}: ${describeResult(r)}`);
  /** A failed plan or apply: its error output, which must speak Terraform. */
  const failure = (r: TerraformResult, what: string) => {
    ok(r, 1, what);
    assert.doesNotMatch(r.stderr, CLI_FLAG, `${what}: the diagnostic names a CLI flag:\n${r.stderr}`);
    return r.stderr.replace(/│ ?/g, '').replace(/\s+/g, ' ');
  };
  const goodCert = () => ({ cert: pki.path('client.pem'), key: pki.path('client.key') });

  test('validate, and the schema terraform reports is the checked-in one', async () => {
    let r = await tf.run('validate', '-no-color');
    ok(r, 0, 'validate');
    r = await tf.run('providers', 'schema', '-json');
    ok(r, 0, 'providers schema -json');
    const address = 'registry.terraform.io/prewarm/prewarm';
    const checkedIn = JSON.parse(fs.readFileSync(path.join(repoRoot, 'schemas/provider.json'), 'utf8'));
    assert.deepEqual(JSON.parse(r.stdout).provider_schemas[address], checkedIn.provider_schemas[address]);
    const attrs = checkedIn.provider_schemas[address].provider.block.attributes;
    assert.equal(attrs.client_key.sensitive, true);
    assert.equal(attrs.client_cert.sensitive, undefined);
  });

  test('without a client certificate, apply fails saying the controller requires one and what to set', async () => {
    const text = failure(await tf.apply(...vars()), 'apply without a client certificate');
    assert.match(text, /Error: Cannot create template mtls/);
    assert.match(text, /requires a client certificate/);
    assert.match(text, /Set client_cert and client_key in the provider block, or the PREWARM_CLIENT_CERT and PREWARM_CLIENT_KEY environment variables/);
    expect(await admin.listTemplates()).toStrictEqual([]);
  });

  test('half a client certificate or an unreadable one fails the plan at the provider block attribute', async () => {
    let text = failure(await tf.plan(...vars({ cert: pki.path('client.pem') })), 'plan with client_cert only');
    assert.match(text, /Error: Missing client_key/);
    assert.match(text, /on main\.tf line \d+, in provider "prewarm": \d+: client_cert = var\.client_cert/);
    assert.match(text, /client_cert is set but client_key is not/);

    text = failure(await tf.plan(...vars({ cert: path.join(work, 'nope.pem'), key: pki.path('client.key') })), 'plan with a missing certificate file');
    assert.match(text, /Error: Cannot read the client certificate/);
    assert.match(text, /in provider "prewarm": \d+: client_cert = var\.client_cert/);
    assert.match(text, /client_cert: cannot read .*nope\.pem: no such file/);

    text = failure(await tf.plan(...vars({ cert: pki.path('client.pem'), key: pki.path('rogue.key') })), 'plan with a key of another certificate');
    assert.match(text, /Error: Client key does not match the client certificate/);
    assert.match(text, /in provider "prewarm": \d+: client_key = var\.client_key/);
  });

  test('a client certificate from another CA: apply fails saying the controller did not accept it', async () => {
    const text = failure(await tf.apply(...vars({ cert: pki.path('rogue.pem'), key: pki.path('rogue.key') })), 'apply with a rogue certificate');
    assert.match(text, /did not accept the client certificate of client_cert \(subject "CN=rogue-client", issued by "CN=prewarm test other-ca"/);
    expect(await admin.listTemplates()).toStrictEqual([]);
  });

  test('with the right certificate: apply, no-op plan (also from PREWARM_CLIENT_CERT/KEY as PEM text), destroy', async () => {
    let r = await tf.apply(...vars(goodCert()));
    ok(r, 0, 'apply with the client certificate');
    assert.match(r.stdout, /Apply complete! Resources: 2 added/);
    assert.equal((await admin.getTemplate('mtls')).driver, 'localdir');
    assert.equal((await admin.getPreset('mtls', 'pool')).prebuilds?.instances, 0);

    r = await tf.plan(...vars(goodCert()));
    ok(r, 0, 'the refresh goes through mTLS and finds no changes');

    tf.env.PREWARM_CLIENT_CERT = pki.read('client.pem').toString('utf8');
    tf.env.PREWARM_CLIENT_KEY = pki.read('client.key').toString('utf8');
    try {
      r = await tf.plan(...vars());
      ok(r, 0, 'client certificate and key from the environment, as PEM text');
    } finally {
      delete tf.env.PREWARM_CLIENT_CERT;
      delete tf.env.PREWARM_CLIENT_KEY;
    }

    r = await tf.run('destroy', '-auto-approve', '-no-color', ...vars(goodCert()));
    ok(r, 0, 'destroy');
    expect(await admin.listPresets('mtls')).toStrictEqual([]);
    expect(await admin.listTemplates()).toStrictEqual([]);
  });
});
