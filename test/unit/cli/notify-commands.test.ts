/** `prewarm notify …`, in-process against a real API server with the fake service behind it. */
import { afterAll, beforeAll, beforeEach, describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { formatInstant } from '../../../controller/domain/instant';
import { ValidationError } from '../../../controller/domain/errors';
import { TOKEN, type TestApi } from '../../helpers/api-fake';
import { runCli, type CliResult } from '../../helpers/cli-harness';
import { fullDelivery } from '../../helpers/notify-fake';
import { startWorkspaceTestApi, type WorkspaceFakeService } from '../../helpers/workspace-fake';

const SECRET = 'hunter2-hunter2-hunter2-SECRET';
const ESC = '\u001b';
const TARGET_KEYS = ['name', 'url', 'events', 'format', 'enabled', 'created_at', 'updated_at'];
const DELIVERY_KEYS = [
  'id', 'notification_id', 'target', 'event', 'key', 'state', 'attempts', 'created_at', 'next_attempt_at', 'delivered_at', 'failed_at',
  'last_status', 'last_error', 'last_latency_ms',
];

function hook(over: Record<string, unknown> = {}): Record<string, unknown> {
  return { name: 'ci-hook', url: 'https://hooks.example.com/prewarm', secret: SECRET, events: ['workspace_autostop_reminder', 'preset_hard_limited'], ...over };
}

/** Nothing a command printed (either stream) holds the secret or a recognisable piece of it. */
function assertNoSecret(r: CliResult, secret = SECRET): void {
  for (const text of [r.stdout, r.stderr]) {
    assert.ok(!text.includes(secret), `the secret was printed:\n${text}`);
    assert.ok(!text.includes(secret.slice(0, 8)), `part of the secret was printed:\n${text}`);
  }
}

describe('notify commands', () => {
  let api: TestApi & { fake: WorkspaceFakeService };
  let env: Record<string, string>;
  let dir: string;

  beforeAll(async () => {
    api = await startWorkspaceTestApi();
    env = { PREWARM_ENDPOINT: api.endpoint, PREWARM_TOKEN: TOKEN };
    dir = mkdtempSync(join(tmpdir(), 'prewarm-notify-'));
  });
  afterAll(async () => {
    rmSync(dir, { recursive: true, force: true });
    await api.close();
  });
  beforeEach(() => {
    api.fake.targets.clear();
    api.fake.secrets.clear();
    api.fake.deliveries.clear();
    api.fake.testResults.clear();
    api.fake.calls.length = 0;
    api.fake.now = Date.UTC(2026, 2, 8, 7, 30);
  });
  const cli = (...args: string[]) => runCli(args, { env });
  const file = (name: string, content: unknown) => {
    const path = join(dir, name);
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content, null, 2));
    return path;
  };
  const puts = () => api.fake.calls.filter((c) => c.method === 'putNotificationTarget');

  describe('target put', () => {
    test('one target: sent whole, secret included; the answer says saved, then unchanged', async () => {
      const f = file('one.json', hook());
      let r = await cli('notify', 'target', 'put', '--file', f);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Notification target ci-hook saved.\n');
      assert.deepEqual(puts().map((c) => c.args), [[hook(), { createOnly: false }]]);
      assert.equal(api.fake.secrets.get('ci-hook'), SECRET);
      assertNoSecret(r);
      r = await cli('notify', 'target', 'put', '--file', f);
      assert.equal(r.stdout, 'Notification target ci-hook unchanged.\n');
    });

    test('a list of targets: each is put, in order; a disabled one says so', async () => {
      const f = file('two.json', [hook(), hook({ name: 'chat', url: 'https://hooks.slack.com/services/T0/B0/x', format: 'slack', enabled: false, events: ['*'] })]);
      const r = await cli('notify', 'target', 'put', '--file', f);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Notification target ci-hook saved.\nNotification target chat saved. It is disabled: it gets no deliveries until enabled.\n');
      assert.deepEqual(puts().map((c) => (c.args[0] as { name: string }).name), ['ci-hook', 'chat']);
      assert.deepEqual([api.fake.targets.get('chat')?.format, api.fake.targets.get('chat')?.enabled], ['slack', false]);
      assertNoSecret(r);
    });

    test('stdin with --file -', async () => {
      const r = await runCli(['notify', 'target', 'put', '--file', '-'], { env, stdin: JSON.stringify(hook()) });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(api.fake.secrets.get('ci-hook'), SECRET);
    });

    test('--secret-env takes the secret from the environment for a one-target file without one', async () => {
      const { secret: _omit, ...noSecret } = hook();
      const f = file('nosecret.json', noSecret);
      const r = await runCli(['notify', 'target', 'put', '--file', f, '--secret-env', 'CI_HOOK_SECRET'], { env: { ...env, CI_HOOK_SECRET: SECRET } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(api.fake.secrets.get('ci-hook'), SECRET);
      assertNoSecret(r);
      // A list of one is a one-target file too.
      const one = file('listofone.json', [noSecret]);
      assert.equal((await runCli(['notify', 'target', 'put', '--file', one, '--secret-env', 'X'], { env: { ...env, X: 'another-secret-0123456789' } })).code, 0);
      assert.equal(api.fake.secrets.get('ci-hook'), 'another-secret-0123456789');
    });

    test('--secret-env misuse is a usage error naming the flag; nothing is sent', async () => {
      const { secret: _omit, ...noSecret } = hook();
      const cases: Array<[string[], Record<string, string>, RegExp]> = [
        [['--file', file('withsecret.json', hook()), '--secret-env', 'S'], { S: 'x'.repeat(20) }, /^prewarm: --secret-env: .*withsecret\.json already has a secret; give it in one place only\n/],
        [['--file', file('two-nosecret.json', [noSecret, { ...noSecret, name: 'b' }]), '--secret-env', 'S'], { S: 'x'.repeat(20) }, /^prewarm: --secret-env gives the secret of a one-target file; .* holds 2 targets/],
        [['--file', file('ns.json', noSecret), '--secret-env', 'UNSET_VAR'], {}, /^prewarm: --secret-env: the environment variable UNSET_VAR is not set\n/],
        [['--file', file('ns.json', noSecret), '--secret-env', 'EMPTY'], { EMPTY: '' }, /^prewarm: --secret-env: the environment variable EMPTY is empty\n/],
        [['--file', file('ns.json', noSecret), '--secret-env', 'not a var'], {}, /^prewarm: --secret-env must name an environment variable/],
      ];
      for (const [args, extra, message] of cases) {
        const r = await runCli(['notify', 'target', 'put', ...args], { env: { ...env, ...extra } });
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message);
        assert.equal(r.stdout, '');
      }
      assert.equal(puts().length, 0);
    });

    test('a missing secret says where it can come from', async () => {
      const { secret: _omit, ...noSecret } = hook();
      const r = await cli('notify', 'target', 'put', '--file', file('ns.json', noSecret));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /^prewarm: invalid notification target in .*ns\.json:\n {2}secret: is required \(write it in the file, or pass --secret-env VAR\)\n$/);
    });

    test('bad input: every problem names the file, the entry and the field; nothing is put', async () => {
      const cases: Array<[string, unknown, RegExp]> = [
        [
          'fields.json',
          hook({ url: 'ftp://x', events: ['workspace_deleted', 'nope'], format: 'xml', secert: 'typo' }),
          /^prewarm: invalid notification target in .*fields\.json:\n {2}secert: unknown attribute "secert" \(allowed: .*\)\n {2}url: must use http:\/\/ or https:\/\/, got "ftp"\n {2}format: must be "json" or "slack", got a string \("xml"\)\n {2}events\[1\]: unknown event type "nope" \(known: \*, preset_hard_limited, /,
        ],
        [
          'list.json',
          [hook(), hook({ name: 'chat', url: 'not a url' }), hook({ name: 'ci-hook' }), 'just text', hook({ name: '' })],
          /^prewarm: invalid notification targets in .*list\.json:\n {2}entry \[1\] \("chat"\): url: must not contain spaces or control characters, got "not a url"\n {2}entries \[0\] and \[2\] are both named "ci-hook": a name may appear once per file\n {2}entry \[3\]: must be a target object \{"name", "url", "secret", "events", …\}, got string\n {2}entry \[4\]: name: must not be empty\n$/,
        ],
        ['empty.json', [], /^prewarm: no notification targets in .*empty\.json: the list is empty\n$/],
        ['scalar.json', 42, /^prewarm: invalid notification target in .*scalar\.json:\n {2}the file must hold a target object .* or a list of them, got number\n$/],
        ['notjson.json', '{"name": "ci-hook",\n "url": }', /^prewarm: .*notjson\.json: invalid JSON at line 2, column 9: /],
      ];
      for (const [name, content, message] of cases) {
        const r = await cli('notify', 'target', 'put', '--file', file(name, content));
        assert.equal(r.code, 1, `${name}: ${r.stderr}`);
        assert.match(r.stderr, message, name);
        assert.equal(r.stdout, '');
        assertNoSecret(r);
      }
      assert.equal(puts().length, 0, 'nothing reached the controller');
    });

    test('errors on a file that holds a secret never show it, however the secret is written', async () => {
      const cases: Array<[string, string]> = [
        // A valid secret next to a bad field.
        ['badurl.json', JSON.stringify(hook({ url: 'ftp://x' }))],
        // Too short, and with a control character: the message states the rule, not the value.
        ['short.json', JSON.stringify(hook({ secret: 'hunter2-' }))],
        ['bell.json', JSON.stringify(hook({ secret: 'hunter2-hunter2-\u0007-SECRET' }))],
        // Written as a number, as a list, unquoted (not JSON at all).
        ['number.json', '{"name": "ci-hook", "url": "https://x.example.com", "secret": 4861172341195728, "events": ["*"]}'],
        ['list.json', JSON.stringify(hook({ secret: [SECRET] }))],
        ['bare.json', `{"name": "ci-hook", "url": "https://x.example.com", "secret": ${SECRET}, "events": ["*"]}`],
      ];
      for (const [name, content] of cases) {
        const r = await cli('notify', 'target', 'put', '--file', file(name, content));
        assert.equal(r.code, 1, `${name}: ${r.stderr}`);
        assert.match(r.stderr, /^prewarm: /);
        assertNoSecret(r);
        assertNoSecret(r, '4861172341195728');
      }
      assert.equal(puts().length, 0);
    });

    test('a target the controller refuses names the entry and the field; the ones before it were saved and said so', async () => {
      const f = file('refused.json', [hook({ name: 'a' }), hook({ name: 'b', url: 'http://127.0.0.1:7420/' })]);
      const real = api.fake.putNotificationTarget.bind(api.fake);
      api.fake.putNotificationTarget = async (input, opts) => {
        if (input.name === 'b') throw ValidationError.field(['url'], "points at this controller's own port 7420: a notification would be posted back into the controller");
        return real(input, opts);
      };
      try {
        const r = await cli('notify', 'target', 'put', '--file', f);
        assert.equal(r.code, 1);
        assert.equal(r.stdout, 'Notification target a saved.\n');
        assert.match(r.stderr, /^prewarm: the controller rejected notification target "b" in entry \[1\] \("b"\) of .*refused\.json:\n {2}url: points at this controller's own port 7420/);
        assertNoSecret(r);
      } finally {
        api.fake.putNotificationTarget = real;
      }
    });

    test('usage: --file is required; an unreadable file names the flag', async () => {
      let r = await cli('notify', 'target', 'put');
      assert.equal(r.code, 2);
      assert.equal(r.stderr, 'prewarm: --file is required; see prewarm notify target put --help\n');
      r = await cli('notify', 'target', 'put', '--file', join(dir, 'absent.json'));
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^prewarm: --file: cannot read .*absent\.json: no such file\n$/);
      r = await cli('notify', 'target', 'put', '--file', dir);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^prewarm: --file: cannot read .*: is a directory\n$/);
    });
  });

  describe('target get, list, delete', () => {
    test('get: readable block and the JSON contract; never the secret', async () => {
      await cli('notify', 'target', 'put', '--file', file('g.json', hook({ format: 'slack' })));
      let r = await cli('notify', 'target', 'get', 'ci-hook');
      assert.equal(r.code, 0, r.stderr);
      const at = formatInstant(api.fake.now);
      assert.equal(
        r.stdout,
        [
          'Notification target ci-hook',
          '  url:      https://hooks.example.com/prewarm',
          '  events:   workspace_autostop_reminder, preset_hard_limited',
          '  format:   slack',
          '  enabled:  yes',
          '  secret:   set (write-only: never shown)',
          `  created:  ${at}`,
          `  updated:  ${at}`,
          '',
        ].join('\n'),
      );
      assertNoSecret(r);
      r = await cli('notify', 'target', 'get', 'ci-hook', '--json');
      const j = JSON.parse(r.stdout);
      assert.deepEqual(Object.keys(j), TARGET_KEYS);
      assert.deepEqual(j, {
        name: 'ci-hook',
        url: 'https://hooks.example.com/prewarm',
        events: ['workspace_autostop_reminder', 'preset_hard_limited'],
        format: 'slack',
        enabled: true,
        created_at: at,
        updated_at: at,
      });
      assertNoSecret(r);
    });

    test('get: unknown → exit 1 with the controller\'s message; a bad name is a usage error, nothing sent', async () => {
      let r = await cli('notify', 'target', 'get', 'nope');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'prewarm: no notification target named "nope"\n');
      const before = api.fake.calls.length;
      for (const args of [['target', 'get', 'Bad Name'], ['target', 'delete', 'Bad Name'], ['test', 'Bad Name']]) {
        r = await cli('notify', ...args);
        assert.equal(r.code, 2, args.join(' '));
        assert.match(r.stderr, /^prewarm: (NAME|TARGET) must be 1-63 characters .*, got "Bad Name"\n$/);
      }
      assert.equal(api.fake.calls.length, before);
    });

    test('list: table, --json, and the empty case; never a secret', async () => {
      let r = await cli('notify', 'target', 'list');
      assert.equal(r.stdout, 'No notification targets. Add one with: prewarm notify target put --file FILE\n');
      await cli('notify', 'target', 'put', '--file', file('l.json', [hook(), hook({ name: 'chat', enabled: false, events: ['*'] })]));
      r = await cli('notify', 'target', 'list');
      assert.equal(r.code, 0, r.stderr);
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^NAME +URL +EVENTS +FORMAT +ENABLED +UPDATED$/);
      assert.match(lines[1], /^chat +https:\/\/hooks\.example\.com\/prewarm +\* +json +no +\d{4}-/);
      assert.match(lines[2], /^ci-hook +https:\/\/hooks\.example\.com\/prewarm +workspace_autostop_reminder,preset_hard_limited +json +yes +\d{4}-/);
      assertNoSecret(r);
      r = await cli('notify', 'target', 'list', '--json');
      const j = JSON.parse(r.stdout);
      assert.deepEqual(Object.keys(j), ['targets']);
      assert.deepEqual(j.targets.map((x: { name: string }) => x.name), ['chat', 'ci-hook']);
      for (const x of j.targets) assert.deepEqual(Object.keys(x), TARGET_KEYS);
      assertNoSecret(r);
    });

    test('delete: removes the target; unknown → exit 1', async () => {
      api.fake.addTarget({ name: 'ci-hook' });
      let r = await cli('notify', 'target', 'delete', 'ci-hook');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'Notification target ci-hook deleted, with its deliveries.\n');
      assert.equal(api.fake.targets.size, 0);
      r = await cli('notify', 'target', 'delete', 'ci-hook');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'prewarm: no notification target named "ci-hook"\n');
    });

    test('stored text is escaped in readable output', async () => {
      api.fake.addTarget({ name: 'ci-hook', url: `https://x.example.com/${ESC}[31mred`, events: [`bad${ESC}event`] });
      for (const args of [['notify', 'target', 'get', 'ci-hook'], ['notify', 'target', 'list']]) {
        const r = await cli(...args);
        assert.equal(r.code, 0, r.stderr);
        assert.ok(!r.stdout.includes(ESC), args.join(' '));
        assert.match(r.stdout, /\\u001b\[31mred/);
      }
    });
  });

  describe('deliveries', () => {
    test('list: filters reach the controller; table; newest first', async () => {
      const t0 = Date.now();
      api.fake.addDelivery(fullDelivery({ id: 1, lastError: `HTTP 503: down${ESC}[2J` }));
      api.fake.addDelivery({ id: 2, target: 'chat', state: 'delivered', attempts: 1, deliveredAt: t0 - 60_000, lastStatus: 204, lastLatencyMs: 12 });
      api.fake.addDelivery({ id: 3, target: 'ci-hook', state: 'pending', attempts: 2, nextAttemptAt: t0 + 40_000, lastStatus: null, lastLatencyMs: 10_000, lastError: 'timed out after 10 s' });
      let r = await cli('notify', 'list');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(api.fake.calls.at(-1), { method: 'listDeliveries', args: [{}] });
      const lines = r.stdout.trimEnd().split('\n');
      assert.match(lines[0], /^ID +TARGET +EVENT +STATE +ATTEMPTS +LAST +WHEN +ERROR$/);
      assert.match(lines[1], /^3 +ci-hook +preset_hard_limited +pending +2 +no answer after 10000 ms +next in (40|39)s +timed out after 10 s$/);
      assert.match(lines[2], /^2 +chat +preset_hard_limited +delivered +1 +HTTP 204 in 12 ms +(1m|60s) ago +-$/);
      assert.match(lines[3], /^1 +ci-hook +workspace_autostop_reminder +failed +12 +HTTP 503 in 10000 ms +gave up .* ago +HTTP 503: down\\u001b\[2J$/);
      assert.ok(!r.stdout.includes(ESC));
      r = await cli('notify', 'list', '--state', 'failed', '--target', 'ci-hook', '--limit', '20');
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(api.fake.calls.at(-1), { method: 'listDeliveries', args: [{ state: 'failed', target: 'ci-hook', limit: 20 }] });
      assert.equal(r.stdout.trimEnd().split('\n').length, 2);
      r = await cli('notify', 'list', '--state', 'delivered', '--target', 'ci-hook');
      assert.equal(r.stdout, 'No deliveries match.\n');
      api.fake.deliveries.clear();
      assert.equal((await cli('notify', 'list')).stdout, 'No deliveries.\n');
    });

    test('list --json: the delivery contract, instants RFC 3339 UTC, unset ones null', async () => {
      const full = api.fake.addDelivery(fullDelivery({ id: 41 }));
      api.fake.addDelivery({ id: 42, nextAttemptAt: null });
      const r = await cli('notify', 'list', '--json');
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.deepEqual(Object.keys(j), ['deliveries']);
      for (const d of j.deliveries) assert.deepEqual(Object.keys(d), DELIVERY_KEYS);
      assert.deepEqual(j.deliveries[1], {
        id: 41,
        notification_id: 7,
        target: 'ci-hook',
        event: 'workspace_autostop_reminder',
        key: full.key,
        state: 'failed',
        attempts: 12,
        created_at: formatInstant(full.createdAt),
        next_attempt_at: formatInstant(full.nextAttemptAt!),
        delivered_at: formatInstant(full.deliveredAt!),
        failed_at: formatInstant(full.failedAt!),
        last_status: 503,
        last_error: 'HTTP 503: upstream down',
        last_latency_ms: 10_000,
      });
      assert.match(j.deliveries[1].created_at, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const bare = j.deliveries[0];
      for (const k of ['next_attempt_at', 'delivered_at', 'failed_at', 'last_status', 'last_latency_ms']) assert.equal(bare[k], null, k);
    });

    test('list: bad filters are usage errors naming the flag; nothing is sent', async () => {
      const cases: Array<[string[], RegExp]> = [
        [['--state', 'sent'], /^prewarm: --state must be one of pending, delivered, failed, got "sent"\n$/],
        [['--limit', '0'], /^prewarm: --limit: must be a whole number >= 1, got "0"\n$/],
        [['--limit', 'ten'], /^prewarm: --limit: must be a whole number >= 1, got "ten"\n$/],
        [['--limit', '-5'], /^prewarm: --limit: must be a whole number >= 1, got "-5"\n$/],
        [['--limit', '5000'], /^prewarm: --limit: must be at most 1000, got 5000\n$/],
        [['--target', 'Not A Name'], /^prewarm: --target must be /],
        [['--target', ''], /^prewarm: --target must not be empty\n$/],
        [['--limit'], /^prewarm: flag --limit needs a value \(N\)/],
      ];
      for (const [args, message] of cases) {
        const r = await cli('notify', 'list', ...args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, message, args.join(' '));
      }
      assert.equal(api.fake.calls.length, 0);
    });

    test('resend: pending again; unknown → exit 1; a bad ID → exit 2', async () => {
      api.fake.addDelivery(fullDelivery({ id: 41 }));
      let r = await cli('notify', 'resend', '41');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, `Delivery 41 (workspace_autostop_reminder to ci-hook) is pending again and due now; the receiver sees the same key ${fullDelivery().key}.\n`);
      assert.deepEqual(api.fake.calls.at(-1), { method: 'resendDelivery', args: [41] });
      r = await cli('notify', 'resend', '41', '--json');
      assert.deepEqual(Object.keys(JSON.parse(r.stdout)), DELIVERY_KEYS);
      r = await cli('notify', 'resend', '99');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'prewarm: no notification delivery with id 99\n');
      for (const bad of ['0', 'abc', '1.5', '99999999999999999999']) {
        r = await cli('notify', 'resend', bad);
        assert.equal(r.code, 2, bad);
        assert.match(r.stderr, /^prewarm: ID must be a delivery id \(the whole number "prewarm notify list" shows\), got /);
      }
      r = await cli('notify', 'resend');
      assert.equal(r.code, 2);
      assert.match(r.stderr, /"prewarm notify resend" needs ID/);
    });
  });

  describe('test', () => {
    test('a 2xx answer: status and latency, exit 0', async () => {
      api.fake.addTarget({ name: 'ci-hook' });
      const r = await cli('notify', 'test', 'ci-hook');
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'target ci-hook: HTTP 200 in 12 ms\n');
      assert.deepEqual(api.fake.calls.at(-1), { method: 'testNotificationTarget', args: ['ci-hook'] });
    });

    test('no 2xx: exit 1 with the error; no answer at all says so', async () => {
      api.fake.addTarget({ name: 'ci-hook' });
      api.fake.testResults.set('ci-hook', { ok: false, status: 500, latencyMs: 40, error: 'HTTP 500: boom' });
      let r = await cli('notify', 'test', 'ci-hook');
      assert.equal(r.code, 1);
      assert.equal(r.stdout, '');
      assert.equal(r.stderr, 'prewarm: target ci-hook: HTTP 500 in 40 ms: boom\n');
      api.fake.testResults.set('ci-hook', { ok: false, status: 301, latencyMs: 3, error: 'redirects are not followed' });
      assert.equal((await cli('notify', 'test', 'ci-hook')).stderr, 'prewarm: target ci-hook: HTTP 301 in 3 ms: redirects are not followed\n');
      api.fake.testResults.set('ci-hook', { ok: false, status: null, latencyMs: 10_000, error: `connect ECONNREFUSED 127.0.0.1:9${ESC}` });
      r = await cli('notify', 'test', 'ci-hook');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'prewarm: target ci-hook: no answer after 10000 ms: connect ECONNREFUSED 127.0.0.1:9\\u001b\n');
      r = await cli('notify', 'test', 'ci-hook', '--json');
      assert.equal(r.code, 1);
      assert.deepEqual(JSON.parse(r.stdout), { target: 'ci-hook', ok: false, status: null, latency_ms: 10_000, error: `connect ECONNREFUSED 127.0.0.1:9${ESC}` });
    });

    test('an unknown target → exit 1', async () => {
      const r = await cli('notify', 'test', 'nope');
      assert.equal(r.code, 1);
      assert.equal(r.stderr, 'prewarm: no notification target named "nope"\n');
    });
  });

  describe('help and dispatch', () => {
    test('the overview and the notify groups list every notify command', async () => {
      const all = ['notify target put', 'notify target get NAME', 'notify target list', 'notify target delete NAME', 'notify list', 'notify resend ID', 'notify test TARGET'];
      const overview = await runCli(['--help']);
      for (const c of ['notify target put', 'notify list', 'notify resend', 'notify test']) assert.ok(overview.stdout.includes(c), c);
      for (const argv of [['notify', '--help'], ['help', 'notify']]) {
        const r = await runCli(argv);
        assert.equal(r.code, 0);
        assert.match(r.stdout, /^Usage: prewarm notify COMMAND \[flags\]\n/);
        for (const c of all) assert.ok(r.stdout.includes(c), c);
      }
      const group = await runCli(['notify', 'target', '-h']);
      assert.equal(group.code, 0);
      assert.match(group.stdout, /^Usage: prewarm notify target COMMAND \[flags\]\n/);
      assert.ok(!group.stdout.includes('notify resend'));
      const bare = await runCli(['notify', 'target']);
      assert.equal(bare.code, 2);
      assert.match(bare.stderr, /^prewarm: "prewarm notify target" needs a command\n/);
    });

    test('each command\'s help says what it needs', async () => {
      const put = await runCli(['notify', 'target', 'put', '--help']);
      assert.match(put.stdout, /^Usage: prewarm notify target put --file FILE \[flags\]\n/);
      assert.match(put.stdout, /--secret-env VAR/);
      assert.match(put.stdout, /workspace_autostop_reminder/);
      const list = await runCli(['help', 'notify', 'list']);
      assert.match(list.stdout, /--state STATE +Only this state: pending, delivered, failed/);
    });

    test('typos get a hint at the right level', async () => {
      let r = await runCli(['notify', 'target', 'pot']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /unknown command "prewarm notify target pot" \(did you mean "prewarm notify target put"\?\); commands: put, get, list, delete/);
      r = await runCli(['notify', 'tset', 'x']);
      assert.match(r.stderr, /unknown command "prewarm notify tset" \(did you mean "prewarm notify test"\?\)/);
      r = await runCli(['notfy']);
      assert.match(r.stderr, /did you mean "notify"\?/);
    });
  });
});
