import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { COMMANDS } from '../../../bin/commands';
import { Flags, UsageError, parseArgs, type FlagSpec } from '../../../controller/cli/args';
import { controllerOptionsFromFlags } from '../../../controller/cli/controller-command';
import { parseRfc3339 } from '../../../controller/cli/values';
import { controllerDefaults } from '../../../controller/daemon-options';
import { runCli } from '../../helpers/cli-harness';

describe('help', () => {
  for (const cmd of COMMANDS) {
    const words = cmd.path.join(' ');
    test(`prewarm ${words} --help and prewarm help ${words} print usage to stdout, exit 0`, async () => {
      for (const argv of [[...cmd.path, '--help'], [...cmd.path, '-h'], ['help', ...cmd.path], [...cmd.path, '--bogus', '--help']]) {
        const r = await runCli(argv);
        assert.equal(r.code, 0, `${argv.join(' ')}: ${r.stderr}`);
        assert.equal(r.stderr, '');
        assert.match(r.stdout, new RegExp(`^Usage: prewarm ${words}`));
        assert.match(r.stdout, /-h, --help/);
      }
    });
  }

  test('overview and groups', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await runCli(argv);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^prewarm keeps pools/);
      for (const cmd of COMMANDS) assert.ok(r.stdout.includes(cmd.path.join(' ')), cmd.path.join(' '));
    }
    for (const argv of [['template', '--help'], ['help', 'preset'], ['instance', '-h']]) {
      const r = await runCli(argv);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^Usage: prewarm (template|preset|instance) COMMAND/);
    }
    const bare = await runCli([]);
    assert.equal(bare.code, 2);
    assert.match(bare.stderr, /Usage: prewarm COMMAND/);
    const group = await runCli(['preset']);
    assert.equal(group.code, 2);
    assert.match(group.stderr, /"prewarm preset" needs a command/);
  });

  test('version', async () => {
    for (const argv of [['version'], ['--version']]) {
      const r = await runCli(argv);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^prewarm \d+\.\d+\.\d+/);
    }
  });
});

describe('usage errors exit 2 with a message naming the problem', () => {
  const cases: Array<[string[], RegExp]> = [
    [['template', 'list', '--bogus'], /unknown flag --bogus for "prewarm template list"; see prewarm template list --help/],
    [['preset', 'put', '--fiel', 'x.json'], /unknown flag --fiel .*did you mean --file\?/],
    [['status', '-x'], /unknown flag -x/],
    [['bogus'], /unknown command "bogus"; see prewarm --help/],
    [['stauts'], /did you mean "status"\?/],
    [['template', 'gte', 'x'], /did you mean "prewarm template get"/],
    [['template', 'get'], /"prewarm template get" needs NAME/],
    [['template', 'get', 'a', 'b'], /unexpected argument "b"/],
    [['claim', 'devbox'], /TEMPLATE\/PRESET must be TEMPLATE\/NAME/],
    [['preset', 'get', 'a/b/c'], /TEMPLATE\/NAME must be TEMPLATE\/NAME/],
    [['claim', 'a/b', '--owner'], /flag --owner needs a value \(NAME\)/],
    [['claim', 'a/b', '--owner', '--json'], /flag --owner needs a value/],
    [['claim', 'a/b', '--json=maybe'], /flag --json takes no value/],
    [['explain', '--preset', 'x', '--preset', 'y'], /flag --preset was given more than once/],
    [['preset', 'put'], /no API token|--file is required/],
    [['instance', 'list', '--state', 'sleeping', '--token', 't'], /--state must be one of pending, starting/],
  ];
  for (const [argv, message] of cases) {
    test(argv.join(' '), async () => {
      const r = await runCli(argv);
      assert.equal(r.code, 2, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^prewarm: /);
      assert.match(r.stderr, message);
    });
  }

  test('a missing token is explained, for every client command', async () => {
    for (const argv of [['status'], ['template', 'list'], ['explain'], ['claim', 'a/b'], ['pause'], ['invalidate', 'a/b']]) {
      const r = await runCli(argv, { env: { PREWARM_TOKEN: '' } });
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no API token: pass --token or set PREWARM_TOKEN/);
    }
  });

  test('bad --endpoint and unreadable --ca-cert name the flag', async () => {
    let r = await runCli(['status', '--token', 't', '--endpoint', 'grpc://x:1']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--endpoint: .*unsupported scheme/);
    r = await runCli(['status', '--token', 't', '--ca-cert', '/nonexistent/ca.pem']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--ca-cert: cannot read \/nonexistent\/ca\.pem: no such file/);
    r = await runCli(['status', '--token', 't', '--timeout', 'soon']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--timeout: /);
  });
});

describe('explain --at', () => {
  for (const bad of ['nope', '2026-03-08', '2026-03-08T07:30:00', '2026-02-30T00:00:00Z', '2026-03-08T24:00:00Z', '2026-03-08T07:30:00+25:00']) {
    test(`rejects ${bad}`, async () => {
      const r = await runCli(['explain', '--at', bad, '--token', 't']);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /^prewarm: --at: .*RFC 3339/);
    });
  }
  test('accepts RFC 3339 with Z, offsets and fractions', () => {
    assert.equal(parseRfc3339('2026-03-08T07:30:00Z', '--at'), Date.UTC(2026, 2, 8, 7, 30));
    assert.equal(parseRfc3339('2026-03-08T02:30:00-05:00', '--at'), Date.UTC(2026, 2, 8, 7, 30));
    assert.equal(parseRfc3339('2028-02-29t07:30:00.250z', '--at'), Date.UTC(2028, 1, 29, 7, 30, 0, 250));
  });
});

describe('controller flags', () => {
  const specs = () => COMMANDS.find((c) => c.path[0] === 'controller')!.flags;
  const build = (argv: string[]) => {
    const s = [...specs()];
    return controllerOptionsFromFlags(new Flags(parseArgs(argv, s, 'prewarm controller'), {}, s));
  };

  test('defaults come from controllerDefaults', () => {
    assert.deepEqual(build([]), controllerDefaults);
  });

  test('--database takes a PostgreSQL URL, PREWARM_DATABASE stands in for the flag, and the flag wins', () => {
    const s = [...specs()];
    const withEnv = (argv: string[], env: Record<string, string>) =>
      controllerOptionsFromFlags(new Flags(parseArgs(argv, s, 'prewarm controller'), {}, s), env);
    assert.equal(build(['--database', 'postgres://u:p@db:5432/prewarm']).database, 'postgres://u:p@db:5432/prewarm');
    assert.equal(withEnv([], { PREWARM_DATABASE: 'postgresql://u@db/prewarm' }).database, 'postgresql://u@db/prewarm');
    assert.equal(withEnv(['--database', 'sqlite:./x.db'], { PREWARM_DATABASE: 'postgresql://u@db/prewarm' }).database, 'sqlite:./x.db');
  });

  test('a malformed PostgreSQL URL is a usage error naming the flag and the reason, without the password', () => {
    assert.throws(() => build(['--database', 'postgres://u:hunter2@db:5432/']), (err: unknown) => {
      assert.ok(err instanceof UsageError);
      assert.match(err.message, /--database: .*names no database/);
      assert.equal(err.message.includes('hunter2'), false);
      return true;
    });
    assert.throws(() => build(['--database', 'mysql://u:hunter2@db/x']), (err: unknown) => {
      assert.match((err as Error).message, /--database: unsupported URL "mysql:\/\/u:\*\*\*@db\/x"/);
      return true;
    });
  });

  test('every flag lands in ControllerOptions', () => {
    const dir = mkdtempSync(join(tmpdir(), 'prewarm-cli-'));
    try {
      for (const f of ['cert.pem', 'key.pem', 'ca.pem', 'spec.json']) writeFileSync(join(dir, f), 'x');
      const opts = build([
        '--database=sqlite:/tmp/x.db',
        '--listen', '0.0.0.0:7000',
        '--ops-listen', '[::1]:7001',
        '--driver-dir', dir,
        '--modules-dir', dir,
        '--terraform-dir', join(dir, 'tf'),
        '--secrets-file', join(dir, 'spec.json'),
        '--reconcile-interval', '2s',
        '--lifecycle-interval', '30s',
        '--tls-cert', join(dir, 'cert.pem'),
        '--tls-key', join(dir, 'key.pem'),
        '--tls-client-ca', join(dir, 'ca.pem'),
        '--apply', join(dir, 'spec.json'),
        '--apply', dir,
        '--watch',
        '--log-level', 'debug',
        '--in-flight-limit', '3',
        '--failure-hard-limit', '0',
        '--backoff-base', '1s',
        '--backoff-cap', '1m',
        '--retention', '0s',
        '--driver-timeout', '5m',
        '--drain-timeout', '1.5s',
        '--rotate-token',
        '--notify-timeout', '3s',
        '--notify-concurrency', '16',
        '--lease-ttl', '20s',
      ]);
      assert.deepEqual(opts, {
        database: 'sqlite:/tmp/x.db',
        listen: '0.0.0.0:7000',
        opsListen: '[::1]:7001',
        driverDir: dir,
        modulesDir: dir,
        terraformDir: join(dir, 'tf'),
        secretsFile: join(dir, 'spec.json'),
        reconcileIntervalMs: 2000,
        lifecycleIntervalMs: 30_000,
        tlsCert: join(dir, 'cert.pem'),
        tlsKey: join(dir, 'key.pem'),
        tlsClientCa: join(dir, 'ca.pem'),
        insecureListen: false,
        leaseTtlMs: 20_000,
        apply: [join(dir, 'spec.json'), dir],
        watch: true,
        logLevel: 'debug',
        inFlightLimit: 3,
        failureHardLimit: 0,
        backoffBaseMs: 1000,
        backoffCapMs: 60_000,
        retentionMs: 0,
        driverTimeoutMs: 300_000,
        drainTimeoutMs: 1500,
        rotateToken: true,
        notifyTimeoutMs: 3000,
        notifyConcurrency: 16,
      });
      assert.equal(build(['--listen', '0.0.0.0:7000', '--insecure-listen']).insecureListen, true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const bad: Array<[string[], RegExp]> = [
    [['--reconcile-interval', '10'], /^--reconcile-interval: missing unit/],
    [['--reconcile-interval', '0s'], /^--reconcile-interval: must be longer than 0/],
    [['--lifecycle-interval', '15'], /^--lifecycle-interval: missing unit/],
    [['--lifecycle-interval', '0s'], /^--lifecycle-interval: must be longer than 0/],
    [['--backoff-base', 'fast'], /^--backoff-base: /],
    [['--backoff-cap', '-1m'], /^--backoff-cap: must not be negative/],
    [['--retention', '1d'], /^--retention: unknown unit "d"/],
    [['--driver-timeout', '5mm'], /^--driver-timeout: /],
    [['--drain-timeout', ''], /^--drain-timeout: /],
    [['--backoff-base', '1m', '--backoff-cap', '30s'], /^--backoff-cap \(30s\) must not be shorter than --backoff-base \(1m\)/],
    [['--in-flight-limit', '0'], /^--in-flight-limit: must be a whole number >= 1/],
    [['--notify-timeout', '0s'], /^--notify-timeout: must be longer than 0/],
    [['--notify-timeout', '10m'], /^--notify-timeout must be at most 5m/],
    [['--notify-concurrency', '0'], /^--notify-concurrency: must be a whole number >= 1/],
    [['--notify-concurrency', '65'], /^--notify-concurrency must be at most 64, got 65/],
    [['--in-flight-limit', '2.5'], /^--in-flight-limit: /],
    [['--failure-hard-limit', '-1'], /^--failure-hard-limit: must be a whole number >= 0/],
    [['--listen', '7420'], /^--listen: "7420" has no port/],
    [['--listen', 'localhost:port'], /^--listen: .*invalid port/],
    [['--ops-listen', 'h:70000'], /^--ops-listen: .*above 65535/],
    [['--listen', '0.0.0.0:7420'], /^--listen 0\.0\.0\.0:7420 is not a loopback address: pass --tls-cert and --tls-key, or --insecure-listen/],
    [['--tls-cert', '/etc/hostname'], /^--tls-cert needs --tls-key/],
    [['--tls-key', '/etc/hostname'], /^--tls-key needs --tls-cert/],
    [['--tls-client-ca', '/etc/hostname'], /^--tls-client-ca needs --tls-cert and --tls-key/],
    [['--tls-cert', '/nonexistent.pem', '--tls-key', '/etc/hostname'], /^--tls-cert: cannot read \/nonexistent\.pem: no such file/],
    [['--tls-cert', '/etc', '--tls-key', '/etc/hostname'], /^--tls-cert: cannot read \/etc: not a regular file/],
    [['--apply', '/nonexistent'], /^--apply: \/nonexistent does not exist/],
    [['--driver-dir', '/etc/hostname'], /^--driver-dir: \/etc\/hostname is not a directory/],
    [['--modules-dir', '/etc/hostname'], /^--modules-dir: \/etc\/hostname is not a directory/],
    [['--modules-dir', '/nonexistent'], /^--modules-dir: /],
    [['--terraform-dir', ''], /^--terraform-dir must not be empty/],
    [['--secrets-file', '/nonexistent.json'], /^--secrets-file: cannot read \/nonexistent\.json: no such file/],
    [['--secrets-file', '/etc'], /^--secrets-file: cannot read \/etc: not a regular file/],
    [['--log-level', 'loud'], /^--log-level must be one of debug, info, warn, error/],
    [['--database', 'mysql://x'], /^--database: unsupported URL/],
  ];
  for (const [argv, message] of bad) {
    test(`rejects ${argv.join(' ')}`, async () => {
      assert.throws(() => build(argv), (e: unknown) => e instanceof UsageError && message.test(e.message));
      // Through main as well: exit 2, and the daemon is never started (it would need a database).
      const r = await runCli(['controller', ...argv]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^prewarm: --/);
    });
  }

  test('several problems are reported together', async () => {
    const r = await runCli(['controller', '--backoff-base', 'x', '--retention', 'y', '--in-flight-limit', 'z']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /invalid flags:\n {2}--backoff-base: .*\n {2}--retention: .*\n {2}--in-flight-limit: /);
  });
});

describe('the flag parser', () => {
  const specs: FlagSpec[] = [
    { name: 'file', kind: 'string', help: '' },
    { name: 'apply', kind: 'string', repeated: true, help: '' },
    { name: 'json', kind: 'boolean', help: '' },
    { name: 'token', kind: 'string', env: 'PREWARM_TOKEN', help: '' },
  ];
  test('forms, repeats, stdin dash, -- and env fallback', () => {
    const p = parseArgs(['a', '--file', '-', '--apply=x', '--apply', 'y', '--json=false', '--', '--not-a-flag'], specs, 'prewarm t');
    const f = new Flags(p, { PREWARM_TOKEN: 'from-env' }, specs);
    assert.deepEqual(f.positionals, ['a', '--not-a-flag']);
    assert.equal(f.string('file'), '-');
    assert.deepEqual(f.list('apply'), ['x', 'y']);
    assert.equal(f.boolean('json'), false);
    assert.equal(f.string('token'), 'from-env');
    const g = new Flags(parseArgs(['--token=', '--file='], specs, 'prewarm t'), { PREWARM_TOKEN: 'from-env' }, specs);
    assert.equal(g.string('token'), '', 'an explicit flag wins over the environment, even when empty');
    assert.equal(g.string('file'), '');
  });
});
