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
import { DRIVER_OPS, type DriverOutcome, type DriverRequest } from '../exec';
import { EX_CONFIG, abortDetail, killedBecause, type KillReason } from '../run-outcome';
import { firstErrorSummary, isConfigurationError, outputAttributes, validateVerdict } from './classify';
import { fileTail, startCommand, type CommandResult, type RunningCommand } from './command';
import { pluginCacheDir, terraformEnvironment } from './environment';
import { checkConfigShape, resolveModuleConfig } from './module-config';
import * as workdir from './workdir';
import { utf8TailStart } from '../format';
import { signalGroup } from '../process-group';
import { boundedText } from '../../net/outbound';

/** This controller replica as the driver sees it. */
export interface ReplicaView {
  id: string;
  /** Whether a replica is running (its heartbeat is recent). */
  alive: (id: string) => Promise<boolean>;
  /** A replica cut off from the database kills its terraform once its lease runs out, a kill grace later. */
  leaseTtlMs?: number;
  /**
   * Whether this replica still leads, by its own clock against its lease's expiry. Asked before each terraform
   * command: a replica paused past its lease wakes up in the middle of an operation and must not start the next one.
   */
  leads?: () => boolean;
}

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
  /**
   * This controller replica, and whether a replica is still alive (from the replicas' heartbeats). Run records name
   * the replica that started them, so a record left on another host by a replica that has stopped can be let go.
   */
  replica?: ReplicaView;
  /** How long a run on another host whose replica no longer runs must have written nothing to count as ended. Default 5 min. */
  foreignSilenceMs?: number;
}

const OUTPUT_LIMIT = 64 * 1024;
const DEFAULT_TIMEOUT_MS = 30 * 60_000;
const DEFAULT_KILL_GRACE_MS = 30_000;
/**
 * terraform writes "Still creating... [10s elapsed]" (and the like) every 10 s while a resource operation runs; init,
 * refresh and a provider's configuration can be quiet for longer, but rarely for minutes. Five silent minutes from a
 * run whose replica no longer runs count as its end; a hung provider is what the state lock is still there for.
 */
const DEFAULT_FOREIGN_SILENCE_MS = 5 * 60_000;
/** How often a re-drive looks whether a terraform left over from before a restart is gone yet. */
const ORPHAN_POLL_MS = 250;
/** The same for a run on another host: each look asks the database whether its replica is alive. */
const FOREIGN_POLL_MS = 2_000;

/** A failure inside one operation, carrying its kind and the output that explains it. */
class StepFailure extends Error {
  constructor(
    readonly kind: 'permanent' | 'retryable',
    message: string,
    readonly exitCode: number | null,
  ) {
    super(message);
  }
}

/** Everything one operation needs while it runs. */
interface OpContext {
  req: DriverRequest;
  terraformBin: string;
  dir: string;
  env: NodeJS.ProcessEnv;
  /** Set when the operation must end now: timeout, abort or shutdown. */
  stopped: KillReason | null;
  /** Settles when `stopped` is set, so waits in a queue end too. */
  stoppedSignal: Promise<void>;
  wake: () => void;
  current: RunningCommand | null;
  /** What the job shows as the driver's output: each command's output and the driver's own notes. */
  log: string[];
  /** A run record from another host was let go: its terraform is presumed ended, not seen to be. */
  foreignRunLetGo?: boolean;
}

export class TerraformDriver implements BuiltinDriver {
  private readonly modulesDir: string;
  private readonly root: string;
  private readonly timeoutMs: number;
  private readonly killGraceMs: number;
  private readonly foreignSilenceMs: number;
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
    // Never shorter than a replica that lost the database takes to notice and stop its own terraform.
    const leaseTtlMs = opts.replica?.leaseTtlMs;
    this.foreignSilenceMs = Math.max(opts.foreignSilenceMs ?? DEFAULT_FOREIGN_SILENCE_MS, leaseTtlMs === undefined ? 0 : leaseTtlMs + this.killGraceMs + 60_000);
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
    const fail = (kind: 'permanent' | 'retryable', message: string, output = '', exitCode: number | null = null): DriverOutcome =>
      kind === 'permanent'
        ? { kind, message: `${label}: ${message}`, stderr: output, exitCode: EX_CONFIG, durationMs: elapsed() }
        : { kind, message: `${label}: ${message}`, stderr: output, exitCode, durationMs: elapsed() };

    // What the template itself gets wrong can never work: permanent. Whether the module is there is the modules
    // dir's business, and only create reads it (later operations use the instance's own copy).
    let terraformBin: string;
    let dir: string;
    try {
      terraformBin = checkConfigShape(req.config).terraformBin;
      dir = workdir.instanceDir(this.root, req.instance.id);
    } catch (err) {
      return fail('permanent', describeConfigError(err));
    }
    if (this.closed) return fail('retryable', 'was not started: the controller is shutting down');
    if (signal?.aborted) return fail('retryable', `was aborted before it started (${abortDetail(signal)})`);

    let wake = (): void => undefined;
    const stoppedSignal = new Promise<void>((resolve) => (wake = resolve));
    const ctx: OpContext = { req, terraformBin, dir, env: terraformEnvironment(req, pluginCacheDir(this.root), this.opts.env ?? {}), stopped: null, stoppedSignal, wake, current: null, log: [] };
    const onAbort = () => this.stop(ctx, { kind: 'aborted', detail: signal ? abortDetail(signal) : 'aborted' });
    signal?.addEventListener('abort', onAbort, { once: true });
    const timer = this.opts.clock.setTimer(this.timeoutMs, () => this.stop(ctx, { kind: 'timeout' }));
    this.live.add(ctx);
    try {
      const attributes = await this.exclusive(ctx, () => this.perform(ctx));
      return { kind: 'ok', attributes, stderr: tail(ctx.log.join('')), exitCode: 0, durationMs: elapsed() };
    } catch (err) {
      if (err instanceof StepFailure) return fail(err.kind, err.message, tail(ctx.log.join('')), err.exitCode);
      return fail('retryable', `failed: ${(err as Error).message}`, tail(ctx.log.join('')));
    } finally {
      // A stop ends waits at once, but a command already running was only signalled: the operation is not over (nor
      // off the books shutdown waits on) until it has exited.
      await ctx.current?.done;
      timer.cancel();
      signal?.removeEventListener('abort', onAbort);
      this.live.delete(ctx);
    }
  }

  private async perform(ctx: OpContext): Promise<Record<string, string>> {
    const { req, dir } = ctx;
    if (req.op === 'create') {
      let moduleDir: string;
      try {
        moduleDir = resolveModuleConfig(this.modulesDir, req.config).moduleDir;
      } catch (err) {
        // The operator can put the module back or fix it without touching the template.
        throw new StepFailure('retryable', describeConfigError(err), null);
      }
      workdir.prepare(moduleDir, dir);
      // After the copy: no resource can exist before the first terraform command, and a copy that failed must not
      // leave a footprint that makes the delete wait for a directory that never was.
      if (workdir.readFootprint(this.root, req.instance.id) !== 'created') workdir.writeFootprint(this.root, req.instance.id, 'created');
    } else if (!workdir.isPrepared(dir)) {
      return this.withoutDirectory(ctx);
    }
    await this.settleLeftover(ctx);

    const nothingInState = req.op === 'delete' && !workdir.stateHasResources(dir);
    // A lock description left with empty state may be another host's terraform still creating (a run let go in an
    // earlier try of this delete): destroy asks the state lock. A crashed run's stale description is overwritten.
    if (nothingInState && !ctx.foreignRunLetGo && !workdir.hasLockInfo(dir)) {
      ctx.log.push('the state holds no resources: nothing to destroy\n');
      this.forget(ctx);
      return {};
    }
    if (req.op === 'delete') {
      try {
        if (!workdir.isInitialized(dir)) await this.init(ctx);
        await this.step(ctx, ['destroy', '-auto-approve', '-input=false', '-no-color'], 'destroy');
      } catch (err) {
        // Empty state, and destroy ran so that terraform's state lock could say whether a let-go run still goes on.
        // A module with a configuration error cannot be building anything, unless a lock description says that a
        // terraform got as far as locking (another host's terraform of another version, say): then it waits.
        if (!(nothingInState && !workdir.hasLockInfo(dir) && err instanceof StepFailure && err.kind === 'permanent')) throw err;
        ctx.log.push('the state holds no resources and the module has a configuration error: nothing to destroy\n');
      }
      this.forget(ctx);
      return {};
    }
    if (!workdir.isInitialized(dir)) await this.init(ctx);
    await this.step(ctx, ['apply', '-auto-approve', '-input=false', '-no-color'], 'apply');
    return this.outputs(ctx);
  }

  /** An operation other than create on an instance that has no working directory here. */
  private withoutDirectory(ctx: OpContext): Record<string, string> {
    const { req, dir } = ctx;
    const footprint = workdir.readFootprint(this.root, req.instance.id);
    if (req.op === 'delete' && footprint !== 'created') {
      // Never given a directory here (its create failed before its first step), or destroyed by an earlier try of
      // this delete that crashed after removing the directory.
      ctx.log.push(footprint === 'destroyed' ? 'already destroyed\n' : 'no working directory: nothing was created\n');
      return {};
    }
    const why =
      footprint === 'created'
        ? `its working directory ${dir} is gone although the instance was created there, so resources it made may still exist with nothing tracking them; restore the directory (or destroy the resources by hand and remove ${path.join(this.root, 'footprints', req.instance.id)}) and the job is retried`
        : `the instance has no working directory at ${dir} (was the controller's --terraform-dir changed, or is this replica not seeing the shared one?)`;
    throw new StepFailure('retryable', why, null);
  }

  /** The instance's resources are destroyed: its directory goes, and its footprint says so for a re-drive. */
  private forget(ctx: OpContext): void {
    workdir.writeFootprint(this.root, ctx.req.instance.id, 'destroyed');
    workdir.remove(ctx.dir);
  }

  private async outputs(ctx: OpContext): Promise<Record<string, string>> {
    const file = path.join(ctx.dir, workdir.OUTPUTS_JSON);
    try {
      const out = await this.command(ctx, ['output', '-json', '-no-color'], file);
      if (out.code !== 0 || out.killed || out.spawnError || out.setupError || out.signal) throw this.failure(ctx, 'output', out);
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch (err) {
        throw new StepFailure('retryable', `cannot read what terraform output -json printed: ${(err as Error).message}`, null);
      }
      const parsed = outputAttributes(text);
      // Never the text itself in a message: it holds the sensitive outputs too.
      if (!parsed.ok) throw new StepFailure('retryable', parsed.reason, null);
      if (parsed.sensitive.length) ctx.log.push(`sensitive outputs not copied to attributes: ${parsed.sensitive.join(', ')}\n`);
      return parsed.attributes;
    } finally {
      // It holds the sensitive outputs' values; the state file is their one home.
      fs.rmSync(file, { force: true });
    }
  }

  /**
   * A terraform started by an earlier controller for this instance may still be running: interrupt it and wait until
   * its whole process group is gone. Only then is the lock description it left cleared.
   */
  private async settleLeftover(ctx: OpContext): Promise<void> {
    const record = workdir.readRunRecord(ctx.dir);
    if (!record) return;
    const me = workdir.here();
    if (record.host !== '' && record.host !== me.host) {
      await this.awaitForeignRun(ctx, record);
      return;
    }
    // After a reboot no process of the record's boot can be alive, whatever now holds its id.
    const sameBoot = record.bootId === null || me.bootId === null || record.bootId === me.bootId;
    if (sameBoot && workdir.recordedGroupAlive(record)) {
      ctx.log.push(`terraform ${record.op} (process group ${record.pgid}) from before a restart is still running; interrupting it\n`);
      signalGroup(record.pgid, 'SIGTERM');
      const killAt = this.opts.clock.now() + this.killGraceMs;
      let killed = false;
      while (workdir.recordedGroupAlive(record)) {
        if (ctx.stopped) throw new StepFailure('retryable', `${killedBecause(ctx.stopped, this.timeoutMs)} while waiting for a terraform left from before a restart to exit`, null);
        if (!killed && this.opts.clock.now() >= killAt) {
          signalGroup(record.pgid, 'SIGKILL');
          killed = true;
        }
        await this.opts.clock.sleep(ORPHAN_POLL_MS);
      }
    }
    const left = fileTail(path.join(ctx.dir, workdir.OUTPUT_LOG), OUTPUT_LIMIT / 2);
    if (left) ctx.log.push(`output of the terraform ${record.op} from before the restart:\n${left}\n`);
    // The local backend's lock itself is an fcntl lock that died with its holder; the description file stays behind
    // and would only mislead whoever looks at the directory.
    if (workdir.clearStaleLock(ctx.dir)) ctx.log.push('removed the state lock file left by that terraform, which is no longer running\n');
    workdir.clearRunRecord(ctx.dir);
  }

  /**
   * A run record from another host: its process cannot be seen from here, so the operation waits (within its own
   * timeout) until the record is gone, which a live replica does itself when it stops leading (it kills its terraform
   * and clears the record), or until the replica that started the run has stopped heartbeating and the run has
   * written nothing for foreignSilenceMs. Waiting here, not failing, keeps a failover's retries from counting
   * towards the preset's failure limit. A terraform that runs on all the same (a paused host, a silent provider)
   * still holds its state lock where the file system carries locks between hosts, and the next command here then
   * fails retryably; a delete runs `destroy` for that reason even on empty state.
   */
  private async awaitForeignRun(ctx: OpContext, first: workdir.RunRecord): Promise<void> {
    const removeHint = `once it has stopped, remove ${path.join(ctx.dir, '.prewarm-run.json')} and the job is retried`;
    const replica = this.opts.replica;
    // A stop ends the wait at once: no poll timer is left behind it.
    const wakeUp = new AbortController();
    void ctx.stoppedSignal.then(() => wakeUp.abort());
    let lastNote = '';
    for (let record: workdir.RunRecord | null = first; record !== null; record = workdir.readRunRecord(ctx.dir)) {
      if (ctx.stopped) throw new StepFailure('retryable', `${killedBecause(ctx.stopped, this.timeoutMs)} while waiting for a terraform run from another host`, null);
      const what = `terraform ${record.op} (process group ${record.pgid}) started for this instance on ${workdir.shownName(record.host)}`;
      if (record.replica === null || replica === undefined) {
        throw new StepFailure('retryable', `${what} may still be running there; ${removeHint}`, null);
      }
      const by = `${what} by replica ${workdir.shownName(record.replica)}`;
      let alive: boolean | Error;
      try {
        alive = await this.unlessStopped(ctx, replica.alive(record.replica), `waiting for ${by}`);
      } catch (err) {
        if (err instanceof StepFailure) throw err;
        // The database is away: the replica might be running; ask again at the next look.
        alive = err instanceof Error ? err : new Error(String(err));
      }
      let note: string;
      if (alive instanceof Error) {
        note = `waiting for ${by}: whether that replica still runs is not known (${boundedText(alive.message, 300)})`;
      } else if (alive) {
        note = `waiting for ${by}, which is still running: a replica that no longer leads stops its terraform and clears the record`;
      } else {
        const silentMs = workdir.silentForMs(ctx.dir);
        if (silentMs >= this.foreignSilenceMs) {
          ctx.log.push(`${by}: that replica is no longer running and the run has written nothing for ${Math.round(silentMs / 1000)} s, so it counts as ended\n`);
          const left = fileTail(path.join(ctx.dir, workdir.OUTPUT_LOG), OUTPUT_LIMIT / 2);
          if (left) ctx.log.push(`output of that terraform ${record.op}:\n${left}\n`);
          workdir.clearRunRecord(ctx.dir);
          ctx.foreignRunLetGo = true;
          return;
        }
        note = `waiting for ${by}: that replica is no longer running, and the run counts as ended once it has written nothing for ${Math.round(this.foreignSilenceMs / 1000)} s`;
      }
      if (note !== lastNote) ctx.log.push(`${note}\n`);
      lastNote = note;
      await this.unlessStopped(ctx, this.opts.clock.sleep(FOREIGN_POLL_MS, wakeUp.signal).catch(() => undefined), `${note} (or ${removeHint})`);
    }
  }

  private async init(ctx: OpContext): Promise<void> {
    const run = this.initQueue.then(async () => {
      if (workdir.isInitialized(ctx.dir)) return;
      await this.step(ctx, ['init', '-input=false', '-no-color'], 'init');
      workdir.markInitialized(ctx.dir);
    });
    this.initQueue = run.catch(() => undefined);
    await this.unlessStopped(ctx, run, 'waiting for another instance\'s terraform init');
  }

  /** Runs one terraform command that must succeed, keeping its output in the operation's log. */
  private async step(ctx: OpContext, args: string[], name: string): Promise<void> {
    const result = await this.command(ctx, args);
    const output = fileTail(path.join(ctx.dir, workdir.OUTPUT_LOG), OUTPUT_LIMIT);
    ctx.log.push(output);
    if (result.code === 0 && !result.killed) return;
    throw await this.classify(ctx, name, result, output);
  }

  private async command(ctx: OpContext, args: string[], stdoutFile?: string): Promise<CommandResult> {
    if (ctx.stopped) throw new StepFailure('retryable', killedBecause(ctx.stopped, this.timeoutMs), null);
    if (this.opts.replica?.leads && !this.opts.replica.leads()) {
      throw new StepFailure('retryable', `did not start terraform ${args[0]}: this replica no longer leads, and the leader runs the operation again`, null);
    }
    let started: workdir.RunRecord | undefined;
    const cmd = startCommand({
      file: ctx.terraformBin,
      args,
      cwd: ctx.dir,
      env: ctx.env,
      logFile: path.join(ctx.dir, workdir.OUTPUT_LOG),
      stdoutFile,
      killGraceMs: this.killGraceMs,
      clock: this.opts.clock,
      onStart: (pgid) => {
        started = { pgid, startTicks: workdir.processStartTicks(pgid), op: args[0]!, ...workdir.here(), replica: this.opts.replica?.id ?? null };
        workdir.writeRunRecord(ctx.dir, started);
      },
    });
    ctx.current = cmd;
    const result = await cmd.done;
    ctx.current = null;
    // Only our own record: a replica that was paused past its lease wakes up here after a new leader wrote its own.
    const now = workdir.readRunRecord(ctx.dir);
    if (started && (now === null || (now.pgid === started.pgid && now.host === started.host))) workdir.clearRunRecord(ctx.dir);
    return result;
  }

  /** Turns a failed command into a StepFailure of the right kind. */
  private async classify(ctx: OpContext, name: string, result: CommandResult, output: string): Promise<StepFailure> {
    const base = this.failure(ctx, name, result, output);
    if (result.killed || result.spawnError || result.setupError || result.signal) return base;
    if (isConfigurationError(output)) return new StepFailure('permanent', `${base.message} (a configuration error)`, EX_CONFIG);
    if (name === 'init' || !workdir.isInitialized(ctx.dir)) return base;
    // Errors in the configuration itself surface first in plan or apply; validate tells them from the world's.
    const file = path.join(ctx.dir, workdir.OUTPUTS_JSON);
    const check = await this.command(ctx, ['validate', '-json', '-no-color'], file).catch(() => null);
    let verdict: ReturnType<typeof validateVerdict> = null;
    try {
      verdict = check ? validateVerdict(fs.readFileSync(file, 'utf8')) : null;
    } catch {
      verdict = null;
    } finally {
      fs.rmSync(file, { force: true });
    }
    if (verdict && !verdict.valid) {
      return new StepFailure('permanent', `terraform validate: ${verdict.summary ? boundedText(verdict.summary) : 'the module is not valid'}`, EX_CONFIG);
    }
    return base;
  }

  private failure(ctx: OpContext, name: string, result: CommandResult, output = ''): StepFailure {
    if (result.killed) return new StepFailure('retryable', `terraform ${name} ${killedBecause(result.killed, this.timeoutMs)}; killed its process group`, result.code);
    if (result.spawnError) {
      const why =
        result.spawnError.code === 'ENOENT'
          ? `${JSON.stringify(ctx.terraformBin)} was not found on the controller's PATH`
          : `${JSON.stringify(ctx.terraformBin)} could not be started: ${result.spawnError.message}`;
      return new StepFailure('retryable', why, null);
    }
    if (result.setupError) return new StepFailure('retryable', `terraform ${name} was not started in ${ctx.dir}: ${result.setupError}`, null);
    if (result.signal) return new StepFailure('retryable', `terraform ${name} was killed by signal ${result.signal}`, null);
    const summary = firstErrorSummary(output);
    return new StepFailure('retryable', `terraform ${name} failed with exit code ${result.code}${summary ? `: ${boundedText(summary)}` : ''}`, result.code);
  }

  private stop(ctx: OpContext, reason: KillReason): void {
    if (ctx.stopped) return;
    ctx.stopped = reason;
    ctx.wake();
    ctx.current?.kill(reason);
  }

  /** Waits for `p`, or fails the operation as soon as it is stopped (the queue it waits in may be slow). */
  private async unlessStopped<T>(ctx: OpContext, p: Promise<T>, waiting: string): Promise<T> {
    const stopped = ctx.stoppedSignal.then(() => {
      throw new StepFailure('retryable', `${killedBecause(ctx.stopped!, this.timeoutMs)} while ${waiting}`, null);
    });
    return Promise.race([p, stopped]);
  }

  /** Runs `fn` once no other operation holds the instance's directory. */
  private async exclusive<T>(ctx: OpContext, fn: () => Promise<T>): Promise<T> {
    const before = this.busy.get(ctx.dir) ?? Promise.resolve();
    let release = (): void => undefined;
    const held = new Promise<void>((resolve) => (release = resolve));
    const mine = before.catch(() => undefined).then(() => held);
    this.busy.set(ctx.dir, mine);
    // Forgotten only once everything queued before it has finished too: an operation stopped while it waited must
    // not open the way for the next one while the one ahead still runs.
    void mine.then(() => {
      if (this.busy.get(ctx.dir) === mine) this.busy.delete(ctx.dir);
    });
    try {
      await this.unlessStopped(ctx, before.catch(() => undefined), 'waiting for another operation on this instance');
      return await fn();
    } finally {
      release();
    }
  }
}

/** A config refusal as one line: `config.<key>: <why>`. */
function describeConfigError(err: unknown): string {
  if (err instanceof ValidationError) {
    const first = err.errors[0];
    return first ? `${first.path.join('.')}: ${first.message}` : err.message;
  }
  return (err as Error).message;
}

export { pluginCacheDir };

/** Creates the driver's directories; the daemon calls it at start so a bad --terraform-dir fails the start. */
export function prepareTerraformRoot(root: string, nowMs: number): void {
  fs.mkdirSync(path.join(root, 'instances'), { recursive: true, mode: 0o700 });
  fs.mkdirSync(pluginCacheDir(root), { recursive: true, mode: 0o700 });
  void workdir.pruneFootprints(root, nowMs - FOOTPRINT_KEEP_MS);
}

/** How long the footprint of a destroyed instance is kept: far longer than any re-drive of its delete can come. */
const FOOTPRINT_KEEP_MS = 30 * 24 * 3600_000;

/** The end of the operation's log, as much as a job keeps. */
function tail(text: string): string {
  const buf = Buffer.from(text, 'utf8');
  return buf.subarray(utf8TailStart(buf, OUTPUT_LIMIT)).toString('utf8');
}
