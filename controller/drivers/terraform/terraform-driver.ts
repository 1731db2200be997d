/**
 * The built-in `terraform` driver: each instance is a root module in its own working directory with its own local
 * state (see workdir.ts). create = init (once) + apply; start and stop = apply with TF_VAR_prewarm_transition set to
 * "start" or "stop", so a module can scale to zero while stopped; delete = destroy, then the directory goes.
 * The module's outputs become the instance's attributes.
 *
 * Re-drive after a crash is safe because every step converges on the instance's own state: apply and destroy of the
 * same configuration against the same state do nothing twice. A terraform left running by a controller that was
 * killed is found through the run record in the working directory; it is interrupted, and the run waits until its
 * whole process group is gone before it clears the lock file it left and starts again.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Clock } from '../../clock/clock';
import { ValidationError } from '../../domain/errors';
import type { BuiltinDriver } from '../builtin';
import { DRIVER_OPS, withoutControllerSecrets, type DriverOp, type DriverOutcome, type DriverRequest } from '../exec';
import { EX_CONFIG, abortDetail, killedBecause, type KillReason } from '../run-outcome';
import { firstErrorSummary, isConfigurationError, outputAttributes, validateVerdict } from './classify';
import { startCommand, type CommandResult, type RunningCommand } from './command';
import { resolveModuleConfig, type ModuleConfig } from './module-config';
import * as workdir from './workdir';

export interface TerraformDriverOptions {
  /** Where template modules live; a template's `module` is a directory inside it. */
  modulesDir: string;
  /** Working directories, state and the shared plugin cache. */
  root: string;
  clock: Clock;
  /** Wall-clock limit for one operation (all its terraform commands together); default 30 min. */
  timeoutMs?: number;
  /** Between SIGTERM and SIGKILL; terraform needs a moment to write its state. Default 30 s. */
  killGraceMs?: number;
  /** Extra environment for terraform (operator settings such as PREWARM_STATE_DIR). */
  env?: Record<string, string>;
}

const OUTPUT_LIMIT = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_KILL_GRACE_MS = 30_000;
/** How often a re-drive looks whether a terraform left over from before a restart is gone yet. */
const ORPHAN_POLL_MS = 250;

type Transition = 'start' | 'stop' | 'delete';

/** A failure inside one operation, carrying its kind and the output that explains it. */
class StepFailure extends Error {
  constructor(
    readonly kind: 'permanent' | 'retryable',
    message: string,
    readonly output: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

/** Everything one operation needs while it runs. */
interface OpContext {
  req: DriverRequest;
  config: ModuleConfig;
  dir: string;
  env: NodeJS.ProcessEnv;
  label: string;
  /** Set when the operation must end now: timeout, abort or shutdown. */
  stopped: KillReason | null;
  current: RunningCommand | null;
  log: string[];
}

export class TerraformDriver implements BuiltinDriver {
  private readonly modulesDir: string;
  private readonly root: string;
  private readonly timeoutMs: number;
  private readonly killGraceMs: number;
  private readonly live = new Set<OpContext>();
  private closed = false;
  /** `init` shares the plugin cache, which terraform does not promise is safe for concurrent writers. */
  private initQueue: Promise<unknown> = Promise.resolve();
  /** One operation per instance directory at a time, whatever the executor does. */
  private readonly busy = new Map<string, Promise<unknown>>();

  constructor(private readonly opts: TerraformDriverOptions) {
    this.modulesDir = path.resolve(opts.modulesDir);
    this.root = path.resolve(opts.root);
    this.timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.killGraceMs = opts.killGraceMs ?? DEFAULT_KILL_GRACE_MS;
  }

  get running(): number {
    return this.live.size;
  }

  checkConfig(config: Readonly<Record<string, string>>): void {
    resolveModuleConfig(this.modulesDir, config);
  }

  killAll(): void {
    this.closed = true;
    this.killRunning();
  }

  killRunning(): void {
    for (const ctx of this.live) this.stop(ctx, { kind: 'shutdown' });
  }

  async run(req: DriverRequest, signal?: AbortSignal): Promise<DriverOutcome> {
    if (!DRIVER_OPS.includes(req.op)) throw new TypeError(`unknown driver op ${JSON.stringify(req.op)}`);
    const started = performance.now();
    const elapsed = (): number => Math.round(performance.now() - started);
    const label = `driver "terraform" ${req.op}`;
    const fail = (kind: 'permanent' | 'retryable', message: string, output = ''): DriverOutcome =>
      kind === 'permanent'
        ? { kind, message: `${label}: ${message}`, stderr: output, exitCode: EX_CONFIG, durationMs: elapsed() }
        : { kind, message: `${label}: ${message}`, stderr: output, exitCode: null, durationMs: elapsed() };

    let config: ModuleConfig;
    try {
      config = resolveModuleConfig(this.modulesDir, req.config);
    } catch (err) {
      const message = err instanceof ValidationError ? `config.${err.errors[0]?.path.slice(1).join('.')}: ${err.errors[0]?.message}` : (err as Error).message;
      // A module that vanished from the modules dir can be put back by the operator; every other refusal is the
      // template's own setting.
      const missing = /no directory|not accessible/.test(message);
      return fail(missing ? 'retryable' : 'permanent', message);
    }
    let dir: string;
    try {
      dir = workdir.instanceDir(this.root, req.instance.id);
    } catch (err) {
      return fail('permanent', (err as Error).message);
    }
    if (this.closed) return fail('retryable', 'was not started: the controller is shutting down');
    if (signal?.aborted) return fail('retryable', `was aborted before it started (${abortDetail(signal)})`);

    const ctx: OpContext = { req, config, dir, env: this.environment(req), label, stopped: null, current: null, log: [] };
    const onAbort = () => this.stop(ctx, { kind: 'aborted', detail: signal ? abortDetail(signal) : 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = this.opts.clock.setTimer(this.timeoutMs, () => this.stop(ctx, { kind: 'timeout' }));
    this.live.add(ctx);
    try {
      const attributes = await this.exclusive(dir, () => this.perform(ctx));
      return { kind: 'ok', attributes, stderr: ctx.log.join(''), exitCode: 0, durationMs: elapsed() };
    } catch (err) {
      if (err instanceof StepFailure) {
        const outcome = fail(err.kind, err.message, tail(`${ctx.log.join('')}${err.output}`));
        return err.exitCode !== null && outcome.kind === 'retryable' ? { ...outcome, exitCode: err.exitCode } : outcome;
      }
      return fail('retryable', `failed: ${(err as Error).message}`, tail(ctx.log.join('')));
    } finally {
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
      this.live.delete(ctx);
    }
  }

  private async perform(ctx: OpContext): Promise<Record<string, string>> {
    const { req, dir } = ctx;
    if (req.op === 'delete' && !fs.existsSync(dir)) {
      // Never created here (the create failed before its first step), or destroyed by an earlier try of this delete
      // that crashed after removing the directory.
      ctx.log.push('no working directory: nothing to destroy\n');
      return {};
    }
    if (req.op !== 'create' && !workdir.isPrepared(dir)) {
      throw new StepFailure('retryable', `the instance has no working directory at ${dir} (was the controller's terraform dir moved?)`, '', null);
    }
    if (req.op === 'create') workdir.prepare(ctx.config.moduleDir, dir);
    await this.settleLeftover(ctx);
    if (!workdir.isInitialized(dir)) await this.init(ctx);

    if (req.op === 'delete') {
      await this.step(ctx, ['destroy', '-auto-approve', '-input=false', '-no-color'], 'destroy');
      workdir.remove(dir);
      return {};
    }
    await this.step(ctx, ['apply', '-auto-approve', '-input=false', '-no-color'], 'apply');
    const out = await this.command(ctx, ['output', '-json', '-no-color']);
    if (out.code !== 0) throw this.failure(ctx, 'output', out);
    const parsed = outputAttributes(out.stdout);
    if (!parsed.ok) throw new StepFailure('retryable', parsed.reason, out.output, out.code);
    if (parsed.sensitive.length) ctx.log.push(`sensitive outputs not copied to attributes: ${parsed.sensitive.join(', ')}\n`);
    return parsed.attributes;
  }

  /** A terraform started by an earlier controller for this instance is still running: interrupt it and wait. */
  private async settleLeftover(ctx: OpContext): Promise<void> {
    const record = workdir.readRunRecord(ctx.dir);
    if (record && workdir.recordedGroupAlive(record)) {
      ctx.log.push(`terraform ${record.op} (process group ${record.pgid}) from before a restart is still running; interrupting it\n`);
      signalGroup(record.pgid, 'SIGTERM');
      const killAt = this.opts.clock.now() + this.killGraceMs;
      let killed = false;
      while (workdir.recordedGroupAlive(record)) {
        if (ctx.stopped) throw new StepFailure('retryable', `${killedBecause(ctx.stopped, this.timeoutMs)} while waiting for a terraform left from before a restart to exit`, '', null);
        if (!killed && this.opts.clock.now() >= killAt) {
          signalGroup(record.pgid, 'SIGKILL');
          killed = true;
        }
        await this.opts.clock.sleep(ORPHAN_POLL_MS);
      }
    }
    if (record) workdir.clearRunRecord(ctx.dir);
    // The local backend's lock itself is an fcntl lock that died with its holder; the description file stays behind
    // and would only mislead whoever looks at the directory.
    if (workdir.clearStaleLock(ctx.dir)) ctx.log.push('removed the state lock file left by a terraform that is no longer running\n');
  }

  private async init(ctx: OpContext): Promise<void> {
    const run = this.initQueue.then(async () => {
      if (workdir.isInitialized(ctx.dir)) return;
      await this.step(ctx, ['init', '-input=false', '-no-color'], 'init');
      workdir.markInitialized(ctx.dir);
    });
    this.initQueue = run.catch(() => undefined);
    await run;
  }

  /** Runs one terraform command that must succeed, keeping its output in the operation's log. */
  private async step(ctx: OpContext, args: string[], name: string): Promise<void> {
    const result = await this.command(ctx, args);
    ctx.log.push(result.output);
    if (result.code === 0 && !result.killed) return;
    throw await this.classify(ctx, name, result);
  }

  private command(ctx: OpContext, args: string[]): Promise<CommandResult> {
    if (ctx.stopped) return Promise.reject(new StepFailure('retryable', killedBecause(ctx.stopped, this.timeoutMs), '', null));
    const cmd = startCommand({
      file: ctx.config.terraformBin,
      args,
      cwd: ctx.dir,
      env: ctx.env,
      outputLimitBytes: OUTPUT_LIMIT,
      killGraceMs: this.killGraceMs,
      onStart: (pgid) => workdir.writeRunRecord(ctx.dir, { pgid, startTicks: workdir.processStartTicks(pgid), op: args[0]! }),
    });
    ctx.current = cmd;
    return cmd.done.then((r) => {
      ctx.current = null;
      workdir.clearRunRecord(ctx.dir);
      return r;
    });
  }

  /** Turns a failed command into a StepFailure of the right kind. */
  private async classify(ctx: OpContext, name: string, result: CommandResult): Promise<StepFailure> {
    const base = this.failure(ctx, name, result);
    if (base.kind === 'permanent' || result.killed || result.spawnError || result.signal) return base;
    if (isConfigurationError(result.output)) return new StepFailure('permanent', `${base.message} (a configuration error)`, '', EX_CONFIG);
    if (name === 'init' || !workdir.isInitialized(ctx.dir)) return base;
    // Errors in the configuration itself surface first in plan or apply; validate tells them from the world's.
    const check = await this.command(ctx, ['validate', '-json', '-no-color']).catch(() => null);
    const verdict = check ? validateVerdict(check.stdout) : null;
    if (verdict && !verdict.valid) {
      return new StepFailure('permanent', `terraform validate: ${verdict.summary ?? 'the module is not valid'}`, '', EX_CONFIG);
    }
    return base;
  }

  private failure(ctx: OpContext, name: string, result: CommandResult): StepFailure {
    if (result.killed) return new StepFailure('retryable', `terraform ${name} ${killedBecause(result.killed, this.timeoutMs)}; killed its process group`, '', result.code);
    if (result.spawnError) {
      const why =
        result.spawnError.code === 'ENOENT'
          ? `${JSON.stringify(ctx.config.terraformBin)} was not found on the controller's PATH`
          : `${JSON.stringify(ctx.config.terraformBin)} could not be started: ${result.spawnError.message}`;
      return new StepFailure('retryable', why, '', null);
    }
    if (result.signal) return new StepFailure('retryable', `terraform ${name} was killed by signal ${result.signal}`, '', null);
    const summary = firstErrorSummary(result.output);
    return new StepFailure('retryable', `terraform ${name} failed with exit code ${result.code}${summary ? `: ${summary}` : ''}`, '', result.code);
  }

  private stop(ctx: OpContext, reason: KillReason): void {
    if (ctx.stopped) return;
    ctx.stopped = reason;
    ctx.current?.kill(reason);
  }

  /** Runs `fn` once no other operation holds `dir`. */
  private async exclusive<T>(dir: string, fn: () => Promise<T>): Promise<T> {
    const before = this.busy.get(dir) ?? Promise.resolve();
    const mine = before.catch(() => undefined).then(fn);
    const held = mine.catch(() => undefined);
    this.busy.set(dir, held);
    try {
      return await mine;
    } finally {
      if (this.busy.get(dir) === held) this.busy.delete(dir);
    }
  }

  /** terraform's environment: the controller's own minus its secrets, the operator's settings, then the request. */
  private environment(req: DriverRequest): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      ...(this.opts.env ?? {}),
      TF_IN_AUTOMATION: '1',
      TF_INPUT: '0',
      CHECKPOINT_DISABLE: '1',
      TF_PLUGIN_CACHE_DIR: pluginCacheDir(this.root),
      PREWARM_OP: req.op,
      PREWARM_INSTANCE_ID: req.instance.id,
      PREWARM_INSTANCE_NAME: req.instance.name,
    };
    withoutControllerSecrets(env);
    // Parameters first: the instance's own variables must not be overridable by a preset parameter of that name.
    for (const [name, value] of Object.entries(req.parameters)) env[`TF_VAR_${name}`] = value;
    env['TF_VAR_prewarm_instance_id'] = req.instance.id;
    env['TF_VAR_prewarm_instance_name'] = req.instance.name;
    env['TF_VAR_prewarm_template'] = req.template.name;
    env['TF_VAR_prewarm_template_version'] = String(req.template.version);
    env['TF_VAR_prewarm_preset'] = req.preset.name;
    env['TF_VAR_prewarm_transition'] = transitionOf(req.op);
    return env;
  }
}

export function pluginCacheDir(root: string): string {
  return path.join(root, 'plugin-cache');
}

/** Creates the driver's directories; the daemon calls it at start so a bad --terraform-dir fails the start. */
export function prepareTerraformRoot(root: string): void {
  fs.mkdirSync(path.join(root, 'instances'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(pluginCacheDir(root), { recursive: true, mode: 0o700 });
}

function transitionOf(op: DriverOp): Transition {
  return op === 'stop' ? 'stop' : op === 'delete' ? 'delete' : 'start';
}

function signalGroup(pgid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pgid, sig);
  } catch {
    // Already gone.
  }
}

function tail(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  return buf.length <= OUTPUT_LIMIT ? text : buf.subarray(buf.length - OUTPUT_LIMIT).toString('utf8').replace(/^\uFFFD+/, '');
}
