import type { DriverOutcome, DriverRequest } from './exec';

/** What the executor needs from drivers: the dispatcher over every kind, or a fake in tests. */
export interface DriverRunner {
  run(program: string, req: DriverRequest, signal?: AbortSignal): Promise<DriverOutcome>;
  killAll(): void;
  /** Kills the running operations without refusing later ones (leadership lost, and maybe regained later). */
  killRunning?(): void;
}
