/**
 * The receiver-side snippets the README quotes (examples/notifications/verify.js and verify.sh) run against bodies
 * the controller really signs: valid ones pass, a tampered body or a stale timestamp fails.
 */
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { NOTIFICATION_EVENTS } from '../../../controller/domain/workspace';
import { DeliveryLoop } from '../../../controller/notify/delivery-loop';
import { SecretBox } from '../../../controller/notify/secret-box';
import { signPayload } from '../../../controller/net/signature';
import { renderBody } from '../../../controller/notify/webhook-body';
import { systemClock } from '../../../controller/clock/clock';
import { skipping } from '../../helpers/skip';
import { WebhookReceiver } from '../../helpers/webhook-receiver';
import { dueOf, SAMPLES } from './samples';

const SECRET = 'whsec-0123456789abcdef';
const DIR = path.resolve(__dirname, '../../../examples/notifications');
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;

const scripts: Array<{ name: string; argv: string[]; skip: boolean }> = [
  { name: 'verify.js', argv: [process.execPath, path.join(DIR, 'verify.js')], skip: false },
  { name: 'verify.sh', argv: ['bash', path.join(DIR, 'verify.sh')], skip: skipping(!hasOpenssl && 'openssl is not installed', 'the verify.sh example checks') },
];

function run(argv: string[], header: string, body: string, secret = SECRET) {
  const r = spawnSync(argv[0], [...argv.slice(1), header], { input: body, env: { PATH: process.env.PATH, WEBHOOK_SECRET: secret }, encoding: 'utf8', timeout: 10_000 });
  return { code: r.status, out: `${r.stdout}${r.stderr}`.trim() };
}

const now = () => Math.floor(Date.now() / 1000);
let captured: { header: string; body: string };
let receiver: WebhookReceiver;

beforeAll(async () => {
  // One request exactly as the controller sends it (the test event, via the same signing path as deliveries).
  receiver = await WebhookReceiver.start({ secret: SECRET });
  const box = SecretBox.random();
  const loop = new DeliveryLoop({
    store: { deliveryTargets: async () => [], fanOutNotifications: async () => 0, claimDeliveries: async () => [], recordDeliveryAttempt: async () => false, releaseDeliveries: async () => undefined },
    clock: systemClock,
    log: { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined },
    secretBox: box,
    random: Math.random,
    timeoutMs: 5000,
    perTargetConcurrency: 4,
    ownPorts: () => [],
  });
  await loop.sendTest({ name: 'ci', url: receiver.url, format: 'json', enabled: true, sealedSecret: box.seal(SECRET) });
  const [req] = receiver.requests;
  captured = { header: String(req.headers['x-prewarm-signature']), body: req.body };
});
afterAll(() => receiver.close());

describe.each(scripts)('$name', ({ argv, skip }) => {
  const t = skip ? test.skip : test;

  t('a request the controller sent verifies', () => {
    expect(run(argv, captured.header, captured.body)).toEqual({ code: 0, out: 'valid' });
  });

  t('every event type, both formats, verifies', () => {
    for (const event of NOTIFICATION_EVENTS) {
      for (const format of ['json', 'slack'] as const) {
        const body = renderBody(format, dueOf(SAMPLES[event]));
        expect({ event, format, ...run(argv, signPayload(SECRET, body, now()), body) }).toEqual({ event, format, code: 0, out: 'valid' });
      }
    }
  });

  t('a body with a trailing newline is verified byte for byte', () => {
    const body = '{"a":1}\n\n';
    expect(run(argv, signPayload(SECRET, body, now()), body).code).toBe(0);
    expect(run(argv, signPayload(SECRET, body, now()), body.trimEnd()).code).toBe(1);
  });

  t('a tampered body fails', () => {
    const tampered = captured.body.replace('"test"', '"tost"');
    expect(tampered).not.toBe(captured.body);
    expect(run(argv, captured.header, tampered)).toEqual({ code: 1, out: 'invalid: signature does not match' });
  });

  t('another secret fails', () => {
    expect(run(argv, captured.header, captured.body, 'whsec-another-secret-000')).toEqual({ code: 1, out: 'invalid: signature does not match' });
  });

  t('a timestamp older than 5 minutes fails, even correctly signed', () => {
    const body = captured.body;
    expect(run(argv, signPayload(SECRET, body, now() - 301), body)).toEqual({ code: 1, out: 'invalid: timestamp older than 5 minutes (or in the future)' });
    expect(run(argv, signPayload(SECRET, body, now() - 240), body).code).toBe(0);
  });

  t('a malformed header or a missing secret fails', () => {
    expect(run(argv, 'garbage', captured.body)).toEqual({ code: 1, out: 'invalid: malformed signature header' });
    expect(run(argv, '', captured.body)).toEqual({ code: 1, out: 'invalid: malformed signature header' });
    expect(run(argv, captured.header, captured.body, '')).toEqual({ code: 1, out: 'invalid: WEBHOOK_SECRET is not set' });
  });
});
