import type { Clock } from '../clock/clock';
import type { DriverRequest } from '../drivers/exec';
import type { DriverRunner } from '../drivers/runner';
import type { Logger } from '../log';
import type { ControllerMetrics } from '../ops/metrics';
import type { Action } from '../reconcile/types';
import type { FailurePolicy, JobContext, JobResult } from '../store/jobs';
import type { Store } from '../store/store';
import { presetIdParts } from '../domain/ids';

export type { DriverRunner };

export interface ExecutorDeps {
  store: Store;
  driver: DriverRunner;
  clock: Clock;
  log: Logger;
  metrics?: ControllerMetrics;
  policy: FailurePolicy;
  /** Called whenever a driver operation settles, so the reconciler can look again soon. */
  onSettled?: () => void;
  /**
   * False while another replica leads: nothing is started here (an intent written by this replica's API waits for
   * the leader), and a result that arrives after leadership was lost is not recorded. Default: always leads.
   */
  leads?: () => boolean;
  /** A job this replica does not lead for was left to the leader (which is told, to start it now). */
  onDeferred?: () => void;
}

/**
 * Turns actions into jobs: intent rows first (one transaction), then the driver, then the result (another
 * transaction). Driver runs are not awaited by the tick; they are tracked here so the budget, shutdown and
 * crash re-drive know what is running.
 */
export class Executor {
  private readonly running = new Map<number, Promise<void>>();
  private stopping = false;
  /** Bumped when leadership is lost: a driver run that began under an earlier epoch records nothing. */
  private epoch = 0;

  constructor(private readonly deps: ExecutorDeps) {}

  /** Driver operations this process is running right now. */
  get active(): number {
    return this.running.size;
  }

  private leads(): boolean {
    return this.deps.leads?.() ?? true;
  }

  async apply(actions: readonly Action[]): Promise<void> {
    const { store, clock } = this.deps;
    for (const action of actions) {
      if (this.stopping || !this.leads()) return;
      const now = clock.now();
      switch (action.type) {
        case 'create': {
          const intents = await store.insertCreateIntents(action.presetId, action.count, now);
          if (intents.length === 0) {
            this.deps.log.debug('create skipped: the preset changed since the snapshot', { preset: action.presetId });
            continue;
          }
          this.deps.log.info('creating instances', { preset: action.presetId, count: action.count, reason: action.reason });
          for (const intent of intents) this.launch(intent.jobId);
          break;
        }
        case 'delete': {
          for (const id of action.instanceIds) {
            const intent = await store.insertDeleteIntent(id, now);
            if (!intent) {
              this.deps.log.debug('delete skipped: instance changed under us (claimed or already deleting)', { instance: id });
              continue;
            }
            this.deps.log.info('deleting instance', { preset: action.presetId, instance: id, reason: action.reason });
            this.launch(intent.jobId);
          }
          break;
        }
        case 'cancel_pending': {
          const n = await store.cancelPendingIntents(action.instanceIds, now);
          if (n > 0) this.deps.log.info('canceled pending builds', { preset: action.presetId, count: n });
          this.deps.metrics?.actions.inc({ type: 'cancel_pending', result: 'ok' }, n);
          break;
        }
        case 'backoff':
          this.deps.log.debug('preset backing off', { preset: action.presetId, until: new Date(action.until).toISOString() });
          break;
      }
    }
  }

  /**
   * Jobs pending (decided, waiting for budget) or left running by an earlier process (a crash or a kill): run them
   * (again) with the same instance id. Drivers are idempotent per instance id, so a build that finished before the crash is
   * reported again rather than made twice. At most `limit` are started.
   */
  async redriveOrphans(limit: number): Promise<number> {
    if (limit <= 0 || this.stopping || !this.leads()) return 0;
    // Oldest first, enough to fill `limit` even when every job this process runs is among them.
    const jobs = await this.deps.store.unfinishedJobs(limit + this.running.size);
    let started = 0;
    for (const job of jobs) {
      if (started >= limit) break;
      const id = Number(job.id);
      if (this.running.has(id)) continue;
      // A job that never started is a decision waiting for budget (lifecycle stops and deletes); one that did start
      // was cut short by a crash or a kill.
      if (Number(job.attempt) === 0 && job.state === 'pending') this.deps.log.debug('starting pending job', { job: id, op: job.op, instance: job.instance_id });
      else this.deps.log.info('re-driving unfinished job', { job: id, op: job.op, instance: job.instance_id, attempt: Number(job.attempt) + 1 });
      this.launch(id);
      started++;
    }
    return started;
  }

  /** Starts one job now, outside any budget (claim fallbacks: a person is waiting). */
  launch(jobId: number): void {
    if (this.running.has(jobId) || this.stopping) return;
    if (!this.leads()) {
      this.deps.onDeferred?.();
      return;
    }
    const p = this.runJob(jobId)
      .catch((err) => this.deps.log.error('job failed to run', { job: jobId, error: err }))
      .finally(() => {
        this.running.delete(jobId);
        this.deps.onSettled?.();
      });
    this.running.set(jobId, p);
  }

  /**
   * Leadership was lost: the running driver operations are killed, and their results (whenever they come, even after
   * this replica leads again) are not recorded: the leader of the moment re-drives those jobs.
   */
  abandon(): void {
    this.epoch++;
    if (this.running.size > 0) this.deps.driver.killRunning?.();
  }

  /**
   * Shutdown has begun: no new driver operation starts, and an operation that fails from now on (killed by the
   * shutdown, or by a signal the whole process group got) is left unfinished for the next start instead of being
   * recorded as the driver's failure (which would count towards backoff and the hard limit).
   */
  stopAccepting(): void {
    this.stopping = true;
  }

  /** Waits for running operations up to `timeoutMs`, then kills the rest; their jobs stay unfinished and are re-driven on the next start. */
  async drain(timeoutMs: number): Promise<{ finished: boolean; killed: number }> {
    this.stopping = true;
    const all = Promise.allSettled([...this.running.values()]);
    const deadline = new AbortController();
    const timedOut = this.deps.clock.sleep(timeoutMs, deadline.signal).then(() => 'timeout' as const);
    const result = await Promise.race([all.then(() => 'done' as const), timedOut]);
    deadline.abort();
    if (result === 'done') return { finished: true, killed: 0 };
    const killed = this.running.size;
    this.deps.driver.killAll();
    await Promise.allSettled([...this.running.values()]);
    return { finished: false, killed };
  }

  private async runJob(jobId: number): Promise<void> {
    const { store, clock, driver, log, metrics, policy } = this.deps;
    const epoch = this.epoch;
    const ctx = await store.startJob(jobId, clock.now());
    if (!ctx) return;
    // Shutdown began, or leadership was lost, while the job was being started: leave it rather than spawn now.
    if (this.stopping || epoch !== this.epoch) return;
    const outcome = await driver.run(ctx.driver, driverRequest(ctx));
    if (!this.leads() || epoch !== this.epoch) {
      // The lease was lost while the driver ran (even if it was won back since): the leader re-drives this job, and
      // the fence would refuse a write under the old lease anyway.
      log.warn('driver result not recorded: this replica no longer leads; the leader re-drives the job', { job: jobId, op: ctx.job.op, result: outcome.kind });
      return;
    }
    if (this.stopping && outcome.kind !== 'ok') {
      // Killed by our own shutdown: not the driver's fault. Leave the job unfinished for the next start.
      log.warn('driver stopped by shutdown; job will be re-driven on the next start', { job: jobId, op: ctx.job.op });
      return;
    }
    const result: JobResult =
      outcome.kind === 'ok'
        ? { kind: 'ok', attributes: outcome.attributes, stderr: outcome.stderr }
        : { kind: outcome.kind, message: outcome.message, exitCode: outcome.exitCode, stderr: outcome.stderr };
    const effects = await store.finishJob(ctx, result, clock.now(), policy);
    metrics?.actions.inc({ type: ctx.job.op, result: outcome.kind });
    const fields = { job: jobId, op: ctx.job.op, instance: ctx.instance.id, preset: ctx.instance.preset_id, duration_ms: outcome.durationMs };
    if (outcome.kind === 'ok') log.info(`${ctx.job.op} finished`, fields);
    else log.warn(`${ctx.job.op} failed`, { ...fields, kind: outcome.kind, error: outcome.message });
    if (effects.hardLimited) {
      log.error('preset reached the failure hard limit; creates stop until it changes or is resumed', {
        preset: effects.hardLimited.presetId,
        failures: effects.hardLimited.failures,
      });
    }
    if (effects.validationFailed) {
      log.error('driver reported a permanent configuration error; creates stop until the preset or template changes', {
        preset: effects.validationFailed.presetId,
        error: effects.validationFailed.message,
      });
    }
  }
}

function driverRequest(ctx: JobContext): DriverRequest {
  const { template, name } = presetIdParts(ctx.instance.preset_id);
  return {
    op: ctx.job.op as DriverRequest['op'],
    instance: { id: ctx.instance.id, name: ctx.instance.name },
    template: { name: ctx.instance.template, version: Number(ctx.instance.template_version) },
    preset: { template, name },
    parameters: ctx.parameters,
    config: ctx.config,
    attempt: Number(ctx.job.attempt),
    jobId: Number(ctx.job.id),
  };
}
