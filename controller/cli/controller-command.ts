/** `prewarm controller`: validates every flag up front (naming the flag), then runs the daemon. */
import { UsageError, type FlagSpec, type Flags } from './args';
import type { Command } from './command';
import { checkDirectory, checkExists, checkHostPort, checkReadableFile, parseCount, parseDurationFlag } from './values';
import { controllerDefaults, type ControllerOptions } from '../daemon-options';
import { isLoopbackHost, parseHostPort } from '../api/address';
import { formatDuration } from '../domain/duration';
import { DatabaseUrlError, parsePostgresUrl, redact } from '../store/postgres-connection';
import { isPostgresUrl } from '../store/store';

const d = controllerDefaults;
const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;

const FLAGS: FlagSpec[] = [
  {
    name: 'database',
    kind: 'string',
    value: 'URL',
    help: 'Store: sqlite:PATH, or postgres://USER:PASSWORD@HOST:PORT/DB for several replicas (env PREWARM_DATABASE)',
    default: d.database,
  },
  {
    name: 'lease-ttl',
    kind: 'string',
    value: 'DURATION',
    help: 'PostgreSQL: how long the leader lease lasts unrenewed (a vanished leader is replaced within it)',
    default: formatDuration(d.leaseTtlMs),
  },
  { name: 'listen', kind: 'string', value: 'HOST:PORT', help: 'gRPC API address (non-loopback needs TLS or --insecure-listen)', default: d.listen },
  { name: 'ops-listen', kind: 'string', value: 'HOST:PORT', help: 'HTTP /healthz, /readyz, /metrics', default: d.opsListen },
  { name: 'driver-dir', kind: 'string', value: 'DIR', help: 'Directory of driver programs templates may name', default: d.driverDir },
  { name: 'modules-dir', kind: 'string', value: 'DIR', help: 'Directory of Terraform modules that templates with driver "terraform" may name (unset: that driver is off)' },
  { name: 'terraform-dir', kind: 'string', value: 'DIR', help: "The terraform driver's per-instance working directories and state (default: <state dir>/terraform)" },
  { name: 'secrets-file', kind: 'string', value: 'FILE', help: 'JSON object of named secrets for driver "http" (secret_ref); PREWARM_SECRET_<NAME> also works' },
  { name: 'reconcile-interval', kind: 'string', value: 'DURATION', help: 'Time between reconcile ticks', default: formatDuration(d.reconcileIntervalMs) },
  {
    name: 'lifecycle-interval',
    kind: 'string',
    value: 'DURATION',
    help: 'Time between lifecycle ticks (autostop, stopped TTL, dormancy, auto-destroy and their reminders)',
    default: formatDuration(d.lifecycleIntervalMs),
  },
  { name: 'tls-cert', kind: 'string', value: 'FILE', help: 'PEM certificate (chain) for the API; needs --tls-key' },
  { name: 'tls-key', kind: 'string', value: 'FILE', help: 'PEM private key of --tls-cert' },
  { name: 'tls-client-ca', kind: 'string', value: 'FILE', help: 'Require client certificates signed by this PEM CA' },
  { name: 'insecure-listen', kind: 'boolean', help: 'Allow a non-loopback --listen without TLS' },
  { name: 'apply', kind: 'string', value: 'PATH', repeated: true, help: 'Template/preset JSON file or directory to apply at start-up' },
  { name: 'watch', kind: 'boolean', help: 'Live view on stdout: a table redrawn in place on a terminal, plain lines in a pipe' },
  { name: 'log-level', kind: 'string', value: 'LEVEL', help: `One of ${LOG_LEVELS.join(', ')}`, default: d.logLevel },
  { name: 'in-flight-limit', kind: 'string', value: 'N', help: 'Driver operations in flight at once (>= 1)', default: String(d.inFlightLimit) },
  { name: 'failure-hard-limit', kind: 'string', value: 'N', help: 'Consecutive failed creates before a preset stops (0 disables)', default: String(d.failureHardLimit) },
  { name: 'backoff-base', kind: 'string', value: 'DURATION', help: 'First backoff after a failed create', default: formatDuration(d.backoffBaseMs) },
  { name: 'backoff-cap', kind: 'string', value: 'DURATION', help: 'Longest backoff', default: formatDuration(d.backoffCapMs) },
  { name: 'retention', kind: 'string', value: 'DURATION', help: 'How long failed and stopped pool instances are kept', default: formatDuration(d.retentionMs) },
  { name: 'driver-timeout', kind: 'string', value: 'DURATION', help: 'Kill a driver operation after this long', default: formatDuration(d.driverTimeoutMs) },
  { name: 'drain-timeout', kind: 'string', value: 'DURATION', help: 'On SIGTERM, wait this long for running driver operations (a second signal stops waiting)', default: formatDuration(d.drainTimeoutMs) },
  { name: 'notify-timeout', kind: 'string', value: 'DURATION', help: 'Give up on a webhook delivery attempt after this long (it is retried)', default: formatDuration(d.notifyTimeoutMs) },
  { name: 'notify-concurrency', kind: 'string', value: 'N', help: 'Webhook deliveries in flight at once per notification target (1-64)', default: String(d.notifyConcurrency) },
  { name: 'rotate-token', kind: 'boolean', help: 'Replace the stored API token with a new one and print it (prewarm token rotate does this while running)' },
];

/**
 * Flags → ControllerOptions. Collects every problem so one run reports them all; each message starts with
 * the flag's name.
 */
export function controllerOptionsFromFlags(flags: Flags, env: Readonly<Record<string, string | undefined>> = process.env): ControllerOptions {
  const problems: string[] = [];
  const opts: ControllerOptions = { ...controllerDefaults, apply: [] };
  const attempt = (fn: () => void) => {
    try {
      fn();
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      problems.push(err.message);
    }
  };
  const str = (name: string) => flags.string(name);
  const duration = (name: string, set: (ms: number) => void, allowZero = false) =>
    attempt(() => {
      const v = str(name);
      if (v !== undefined) set(parseDurationFlag(v, `--${name}`, { allowZero }));
    });
  const count = (name: string, min: number, set: (n: number) => void) =>
    attempt(() => {
      const v = str(name);
      if (v !== undefined) set(parseCount(v, `--${name}`, min));
    });

  attempt(() => {
    const v = str('database') ?? (env.PREWARM_DATABASE || undefined);
    if (v === undefined) return;
    if (!/^(sqlite:|postgres(ql)?:\/\/)./i.test(v.trim())) {
      throw new UsageError(
        `--database: unsupported URL "${redact(v)}"; expected sqlite:PATH (for example sqlite:./prewarm.db) or postgres://USER:PASSWORD@HOST:PORT/DB`,
      );
    }
    if (isPostgresUrl(v)) {
      try {
        parsePostgresUrl(v);
      } catch (err) {
        if (err instanceof DatabaseUrlError) throw new UsageError(err.message);
        throw err;
      }
    }
    opts.database = v.trim();
  });
  attempt(() => {
    const v = str('listen');
    if (v !== undefined) opts.listen = checkHostPort(v, '--listen');
  });
  attempt(() => {
    const v = str('ops-listen');
    if (v !== undefined) opts.opsListen = checkHostPort(v, '--ops-listen');
  });
  attempt(() => {
    const v = str('driver-dir');
    if (v !== undefined) opts.driverDir = checkDirectory(v, '--driver-dir');
  });
  attempt(() => {
    const v = str('modules-dir');
    if (v !== undefined) opts.modulesDir = checkDirectory(v, '--modules-dir');
  });
  attempt(() => {
    const v = str('terraform-dir');
    if (v !== undefined) {
      if (v.trim() === '') throw new UsageError('--terraform-dir must not be empty');
      opts.terraformDir = v;
    }
  });
  attempt(() => {
    const v = str('secrets-file');
    if (v !== undefined) opts.secretsFile = checkReadableFile(v, '--secrets-file');
  });
  duration('reconcile-interval', (ms) => (opts.reconcileIntervalMs = ms));
  duration('lifecycle-interval', (ms) => (opts.lifecycleIntervalMs = ms));
  duration('lease-ttl', (ms) => (opts.leaseTtlMs = ms));
  if (opts.leaseTtlMs < 1000) problems.push(`--lease-ttl must be at least 1s, got ${formatDuration(opts.leaseTtlMs)}`);
  duration('backoff-base', (ms) => (opts.backoffBaseMs = ms));
  duration('backoff-cap', (ms) => (opts.backoffCapMs = ms));
  duration('retention', (ms) => (opts.retentionMs = ms), true);
  duration('driver-timeout', (ms) => (opts.driverTimeoutMs = ms));
  duration('drain-timeout', (ms) => (opts.drainTimeoutMs = ms), true);
  count('in-flight-limit', 1, (n) => (opts.inFlightLimit = n));
  count('failure-hard-limit', 0, (n) => (opts.failureHardLimit = n));
  duration('notify-timeout', (ms) => (opts.notifyTimeoutMs = ms));
  count('notify-concurrency', 1, (n) => (opts.notifyConcurrency = n));
  if (opts.notifyConcurrency > 64) problems.push(`--notify-concurrency must be at most 64, got ${opts.notifyConcurrency}`);
  if (opts.notifyTimeoutMs > 5 * 60_000) problems.push(`--notify-timeout must be at most 5m (a receiver should answer at once and work later), got ${formatDuration(opts.notifyTimeoutMs)}`);
  attempt(() => {
    const v = str('log-level');
    if (v === undefined) return;
    if (!(LOG_LEVELS as readonly string[]).includes(v)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}, got "${v}"`);
    opts.logLevel = v as ControllerOptions['logLevel'];
  });
  attempt(() => {
    const cert = str('tls-cert');
    const key = str('tls-key');
    const ca = str('tls-client-ca');
    if ((cert === undefined) !== (key === undefined)) {
      throw new UsageError(cert === undefined ? '--tls-key needs --tls-cert' : '--tls-cert needs --tls-key');
    }
    if (ca !== undefined && cert === undefined) throw new UsageError('--tls-client-ca needs --tls-cert and --tls-key');
    if (cert !== undefined) opts.tlsCert = checkReadableFile(cert, '--tls-cert');
    if (key !== undefined) opts.tlsKey = checkReadableFile(key, '--tls-key');
    if (ca !== undefined) opts.tlsClientCa = checkReadableFile(ca, '--tls-client-ca');
  });
  for (const path of flags.list('apply')) attempt(() => opts.apply.push(checkExists(path, '--apply')));
  opts.insecureListen = flags.boolean('insecure-listen');
  opts.watch = flags.boolean('watch');
  opts.rotateToken = flags.boolean('rotate-token');

  if (opts.backoffCapMs < opts.backoffBaseMs && flags.has('backoff-cap')) {
    problems.push(`--backoff-cap (${formatDuration(opts.backoffCapMs)}) must not be shorter than --backoff-base (${formatDuration(opts.backoffBaseMs)})`);
  }
  // Same rule the API server enforces, checked here so the operator hears it before the store is opened.
  attempt(() => {
    const host = parseHostPort(opts.listen).host;
    if (!isLoopbackHost(host) && opts.tlsCert === undefined && !opts.insecureListen) {
      throw new UsageError(
        `--listen ${opts.listen} is not a loopback address: pass --tls-cert and --tls-key, or --insecure-listen to accept plaintext`,
      );
    }
  });

  if (problems.length === 1) throw new UsageError(problems[0]);
  if (problems.length > 1) throw new UsageError(`invalid flags:\n  ${problems.join('\n  ')}`);
  return opts;
}

export const controllerCommand: Command = {
  path: ['controller'],
  summary: 'Run the reconciliation controller daemon',
  description:
    'Serves the gRPC API, reconciles every pool each tick and runs driver operations. On first start it generates\n' +
    'an API token and prints it once (PREWARM_TOKEN, when set, is used instead); "prewarm token rotate" replaces a\n' +
    'lost one, also while the controller runs. Both addresses are bound before the database is opened, so a taken\n' +
    'port fails the start with nothing written. Logs are JSON lines on stderr.\n' +
    'Stops cleanly on SIGTERM or SIGINT, waiting up to --drain-timeout for running driver operations; a second\n' +
    'signal kills them (their whole process groups) at once. Their jobs resume on the next start.\n' +
    'The first example is what "npm start" runs in the repository: the quickstart pool with the example drivers.',
  flags: FLAGS,
  examples: [
    'prewarm controller --apply examples/quickstart --driver-dir examples/drivers --watch --log-level warn',
    'prewarm controller --listen 0.0.0.0:7420 --tls-cert server.pem --tls-key server.key',
  ],
  async run(ctx) {
    const opts = controllerOptionsFromFlags(ctx.flags, ctx.io.env);
    // Loaded only here: the daemon pulls in the store and native SQLite, which no other command needs.
    const { runController } = await import('../daemon');
    await runController(opts);
    return 0;
  },
};
