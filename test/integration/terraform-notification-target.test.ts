/**
 * prewarm_notification_target with the real terraform CLI against the built provider (dev_overrides) and a real
 * controller: plan-time validation errors (bad URL, unknown event, short secret) at their file and line; create,
 * a plan with no changes, an in-place URL change, drift made through the controller's API, a create refused for a
 * name that exists (with the import advice at the name's line), import by name (the secret set by the next apply),
 * destroy. The secret is checked where it matters: a local receiver verifies the HMAC of `prewarm notify test`
 * deliveries with the configured secret, and no terraform output (plan, apply, import, show) ever contains it.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, jest, test } from '@jest/globals';
import { repoRoot, startTestController, type TestController } from '../helpers/controller';
import { skipping } from '../helpers/skip';
import { describeResult, TerraformWorkspace, terraformUnavailable, type TerraformResult } from '../helpers/terraform';

// A long terraform session: a dozen terraform commands, each starting the provider.
jest.setTimeout(300_000);

const skip = terraformUnavailable();

const TARGET = 'ops-webhook';
const SECRET = 'tf-secret-5f1d2c9e8b7a6f30';
const OUTSIDE_SECRET = 'cli-secret-0a1b2c3d4e5f6789';

const escapeRe = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

const ok = (r: TerraformResult, want: number, what: string) => assert.equal(r.code, want, `${what}: ${describeResult(r)}`);

/** Every `on FILE line N:` excerpt of terraform's error output: the line number and the source line it shows. */
function excerpts(r: TerraformResult, file: string): Array<{ line: number; text: string }> {
  const text = r.stderr.replace(/│/g, '');
  const re = new RegExp(`on ${file.replace('.', '\\.')} line (\\d+)[^\\n]*:\\n\\s*(\\d+):([^\\n]*)`, 'g');
  const out: Array<{ line: number; text: string }> = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    assert.equal(m[1], m[2], `the excerpt shows the line it names: ${m[0]}`);
    out.push({ line: Number(m[1]), text: m[3] });
  }
  return out;
}

/** The error with this summary points at a line of `file` matching `line`. */
function assertErrorAt(r: TerraformResult, summary: string, file: string, line: RegExp): void {
  const text = r.stderr.replace(/│/g, '');
  const at = text.indexOf(`Error: ${summary}`);
  assert.ok(at >= 0, `no "Error: ${summary}" in:\n${r.stderr}`);
  const next = text.indexOf('Error: ', at + 7);
  const own = excerpts({ ...r, stderr: text.slice(at, next < 0 ? undefined : next) }, file);
  assert.ok(own.length > 0, `"${summary}" has no "on ${file} line N" excerpt:\n${text.slice(at, next < 0 ? undefined : next)}`);
  assert.match(own[0].text, line, `"${summary}" points at line ${own[0].line}: ${own[0].text}`);
}

/** A webhook receiver on loopback that records what it is sent and answers 204. */
interface Receiver {
  url: string;
  requests: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string }>;
  close(): Promise<void>;
}

async function startReceiver(): Promise<Receiver> {
  const requests: Receiver['requests'] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.setEncoding('utf8').on('data', (d: string) => (body += d));
    req.on('end', () => {
      requests.push({ path: req.url ?? '', headers: req.headers, body });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** Whether X-Prewarm-Signature (`t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`) was made with `secret`. */
function signedWith(req: Receiver['requests'][number], secret: string): boolean {
  const header = String(req.headers['x-prewarm-signature'] ?? '');
  const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(header);
  assert.ok(m, `X-Prewarm-Signature ${JSON.stringify(header)}`);
  const want = createHmac('sha256', secret).update(`${m[1]}.${req.body}`).digest();
  return timingSafeEqual(want, Buffer.from(m[2], 'hex'));
}

const MAIN_TF = `terraform {
  required_providers {
    prewarm = { source = "registry.terraform.io/prewarm/prewarm" }
  }
}

# Not marked sensitive on purpose: the resource's schema alone must keep the secret out of every output.
variable "webhook_secret" {
  type = string
}

variable "url" {
  type = string
}

resource "prewarm_notification_target" "ops" {
  name   = "${TARGET}"
  url    = var.url
  secret = var.webhook_secret
  events = ["workspace_autostop_reminder", "workspace_deleted"]
  format = "slack"
}
`;

const INVALID_TF = `terraform {
  required_providers {
    prewarm = { source = "registry.terraform.io/prewarm/prewarm" }
  }
}

resource "prewarm_notification_target" "bad_url" {
  name   = "bad-url"
  url    = "ftp://hooks.example.com/prewarm"
  secret = "0123456789abcdef0123"
  events = ["*"]
}

resource "prewarm_notification_target" "bad_event" {
  name   = "bad-event"
  url    = "https://hooks.example.com/prewarm"
  secret = "0123456789abcdef0123"
  events = ["workspace_deleted", "workspace_exploded"]
}

resource "prewarm_notification_target" "short_secret" {
  name   = "short-secret"
  url    = "https://hooks.example.com/prewarm"
  secret = "tooShort"
  events = ["workspace_deleted"]
}
`;

(skipping(skip, 'the terraform notification target end-to-end test') ? describe.skip : describe)('terraform notification targets end to end', () => {
  let ctl: TestController;
  let receiver: Receiver;
  let work: string;
  beforeAll(async () => {
    ctl = await startTestController();
    receiver = await startReceiver();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-tf-nt-'));
  });
  afterAll(async () => {
    await ctl?.stop();
    await receiver?.close();
    if (work) fs.rmSync(work, { recursive: true, force: true });
  });

  const workspace = (name: string) => {
    const dir = path.join(work, name);
    fs.mkdirSync(dir);
    return new TerraformWorkspace(dir, `127.0.0.1:${ctl.running.apiPort}`, ctl.token);
  };

  test('plan-time validation: a bad URL, an unknown event and a short secret, each at its file and line', async () => {
    const tf = workspace('invalid');
    fs.writeFileSync(path.join(tf.dir, 'main.tf'), INVALID_TF);
    const r = await tf.plan();
    ok(r, 1, 'the plan fails');
    assertErrorAt(r, 'Invalid value for "url"', 'main.tf', /url\s*=\s*"ftp:\/\/hooks\.example\.com\/prewarm"/);
    assert.match(r.stderr, /must use http:\/\/ or https:\/\//);
    assertErrorAt(r, 'Invalid value for "events[1]"', 'main.tf', /events\s*=\s*\["workspace_deleted", "workspace_exploded"\]/);
    assert.match(r.stderr, /unknown event type "workspace_exploded"/);
    assertErrorAt(r, 'Invalid value for "secret"', 'main.tf', /secret\s*=\s*"tooShort"/);
    assert.match(r.stderr, /must be at least 16 characters/);
    assert.equal(excerpts(r, 'main.tf').length, 3, `three errors:\n${r.stderr}`);
    // expect, not assert: the service's arrays come from better-sqlite3 in Node's realm, not the test's.
    expect(await ctl.running.service.listNotificationTargets()).toStrictEqual([]);
  });

  test('create, no-op plan, update in place, drift, a taken name, import by name, destroy; the secret never shown', async () => {
    const svc = ctl.running.service;
    const tf = workspace('ops');
    fs.writeFileSync(path.join(tf.dir, 'main.tf'), MAIN_TF);
    tf.env.TF_VAR_webhook_secret = SECRET;
    const outputs: TerraformResult[] = [];
    const run = async (...args: string[]) => {
      const r = await tf.run(...args);
      outputs.push(r);
      return r;
    };
    const plan = (url: string) => run('plan', '-detailed-exitcode', '-input=false', '-no-color', '-var', `url=${url}`);
    const apply = (url: string) => run('apply', '-auto-approve', '-input=false', '-no-color', '-var', `url=${url}`);
    const url1 = `${receiver.url}/hooks/one`;
    const url2 = `${receiver.url}/hooks/two`;

    /** `prewarm notify test` through the service: the receiver gets a delivery signed with `secret`. */
    const assertSignsWith = async (secret: string, url: string) => {
      const before = receiver.requests.length;
      const result = await svc.testNotificationTarget(TARGET);
      expect(result).toMatchObject({ target: TARGET, ok: true, status: 204 });
      assert.equal(receiver.requests.length, before + 1);
      const req = receiver.requests[before];
      assert.equal(`${receiver.url}${req.path}`, url);
      assert.equal(req.headers['x-prewarm-event'], 'test');
      assert.ok(signedWith(req, secret), 'the delivery is signed with the configured secret');
    };

    let r = await run('validate', '-no-color');
    ok(r, 0, 'validate');
    // The checked-in schema export is what terraform reports for the built provider.
    r = await tf.run('providers', 'schema', '-json');
    ok(r, 0, 'providers schema -json');
    const address = 'registry.terraform.io/prewarm/prewarm';
    const checkedIn = JSON.parse(fs.readFileSync(path.join(repoRoot, 'schemas/provider.json'), 'utf8'));
    const reported = JSON.parse(r.stdout).provider_schemas[address];
    assert.deepEqual(reported.resource_schemas.prewarm_notification_target, checkedIn.provider_schemas[address].resource_schemas.prewarm_notification_target);

    // Create.
    r = await plan(url1);
    ok(r, 2, 'first plan');
    assert.match(r.stdout, /Plan: 1 to add, 0 to change, 0 to destroy/);
    assert.match(r.stdout, /\+ secret\s+= \(sensitive value\)/);
    assert.match(r.stdout, /\+ format\s+= "slack"/);
    assert.match(r.stdout, /\+ enabled\s+= true/);
    assert.match(r.stdout, /\+ id\s+= "ops-webhook"/);
    r = await apply(url1);
    ok(r, 0, 'apply');
    expect(await svc.getNotificationTarget(TARGET)).toMatchObject({
      name: TARGET,
      url: url1,
      events: ['workspace_autostop_reminder', 'workspace_deleted'],
      format: 'slack',
      enabled: true,
    });
    await assertSignsWith(SECRET, url1);
    r = await plan(url1);
    ok(r, 0, 'no changes after apply');

    // In place: a new URL, same target.
    r = await apply(url2);
    ok(r, 0, 'change the url');
    assert.match(r.stdout, /0 added, 1 changed, 0 destroyed/);
    assert.equal((await svc.getNotificationTarget(TARGET)).url, url2);
    r = await plan(url2);
    ok(r, 0, 'no changes after the update');

    // Drift: changed through the controller's API (another client); the plan puts it back.
    await svc.putNotificationTarget({ name: TARGET, url: url1, secret: SECRET, events: ['*'], format: 'json', enabled: false });
    r = await plan(url2);
    ok(r, 2, 'drift is planned');
    assert.match(r.stdout, /prewarm_notification_target\.ops will be updated in-place/);
    assert.match(r.stdout, new RegExp(`~ url\\s+= "${escapeRe(url1)}" -> "${escapeRe(url2)}"`));
    assert.match(r.stdout, /~ enabled\s+= false -> true/);
    assert.match(r.stdout, /~ format\s+= "json" -> "slack"/);
    assert.match(r.stdout, /- "\*",/);
    assert.match(r.stdout, /Plan: 0 to add, 1 to change, 0 to destroy/);
    r = await apply(url2);
    ok(r, 0, 'apply puts it back');
    expect(await svc.getNotificationTarget(TARGET)).toMatchObject({ url: url2, events: ['workspace_autostop_reminder', 'workspace_deleted'], format: 'slack', enabled: true });
    r = await plan(url2);
    ok(r, 0, 'no changes after the drift is corrected');

    // Forgotten by this configuration, and changed by someone else meanwhile (another secret too): a create with the
    // same name is refused at the name's line, with the import advice.
    r = await run('state', 'rm', 'prewarm_notification_target.ops');
    ok(r, 0, 'state rm');
    await svc.putNotificationTarget({ name: TARGET, url: url1, secret: OUTSIDE_SECRET, events: ['workspace_deleted'] });
    r = await apply(url2);
    ok(r, 1, 'creating a target that exists fails');
    assertErrorAt(r, `Notification target "${TARGET}" already exists`, 'main.tf', /name\s*=\s*"ops-webhook"/);
    assert.match(r.stderr.replace(/│/g, '').replace(/\s+/g, ' '), /terraform import prewarm_notification_target\.<resource name> ops-webhook/);
    expect(await svc.getNotificationTarget(TARGET)).toMatchObject({ url: url1, events: ['workspace_deleted'], format: 'json' });
    await assertSignsWith(OUTSIDE_SECRET, url1);

    // Import by name: the secret is not in the state until the next apply, which sets it with the rest.
    r = await run('import', '-no-color', '-var', `url=${url2}`, 'prewarm_notification_target.ops', TARGET);
    ok(r, 0, 'terraform import');
    r = await plan(url2);
    ok(r, 2, 'after import the configuration is applied');
    assert.match(r.stdout, /Plan: 0 to add, 1 to change, 0 to destroy/);
    assert.match(r.stdout, /\+ secret\s+= \(sensitive value\)/);
    r = await apply(url2);
    ok(r, 0, 'apply after import');
    await assertSignsWith(SECRET, url2);
    r = await plan(url2);
    ok(r, 0, 'no changes after import and apply');

    r = await run('show', '-no-color');
    ok(r, 0, 'terraform show');
    assert.match(r.stdout, /secret\s+= \(sensitive value\)/);

    r = await run('destroy', '-auto-approve', '-no-color', '-var', `url=${url2}`);
    ok(r, 0, 'destroy');
    assert.match(r.stdout, /1 destroyed/);
    await expect(svc.getNotificationTarget(TARGET)).rejects.toMatchObject({ name: 'NotFoundError' });

    for (const o of outputs) {
      assert.ok(!o.stdout.includes(SECRET) && !o.stderr.includes(SECRET), `a terraform output shows the secret:\n${describeResult(o)}`);
      assert.ok(!o.stdout.includes(OUTSIDE_SECRET) && !o.stderr.includes(OUTSIDE_SECRET), `a terraform output shows the other secret:\n${describeResult(o)}`);
    }
  });
});
