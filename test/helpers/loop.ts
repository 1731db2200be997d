/** A reconcile loop wired as the daemon wires it (executor, store, clock), for loop tests on a fake clock. */
import type { Clock } from '../../controller/clock/clock';
import { Executor, type DriverRunner } from '../../controller/executor/executor';
import { type Logger, silentLogger } from '../../controller/log';
import { Reconciler, type TickResult } from '../../controller/loop/reconciler';
import type { Store } from '../../controller/store/store';

export interface LoopOptions {
  store: Store;
  clock: Clock;
  driver: DriverRunner;
  intervalMs: number;
  /** Backoff after a failed create, and delay before a failed delete is retried. */
  backoffMs?: number;
  log?: Logger;
  onTick?: (result: TickResult) => void;
}

export function makeLoop(o: LoopOptions): { loop: Reconciler; executor: Executor } {
  const log = o.log ?? silentLogger;
  const backoff = o.backoffMs ?? 60_000;
  let loop: Reconciler | undefined;
  const executor = new Executor({
    store: o.store,
    driver: o.driver,
    clock: o.clock,
    log,
    policy: { failureHardLimit: 0, createBackoffMs: () => backoff, deleteRetryMs: () => backoff },
    onSettled: () => loop?.kick(),
  });
  loop = new Reconciler({
    store: o.store,
    clock: o.clock,
    executor,
    options: { inFlightLimit: 8, retentionMs: 3_600_000, surgeFraction: 0.25 },
    intervalMs: o.intervalMs,
    log,
    onTick: o.onTick,
  });
  return { loop, executor };
}
