/**
 * The driver kinds built into the controller. A template names its driver; `terraform` and `http` are these kinds,
 * any other name is an exec program in the driver dir. The two names are reserved: a program of that name in the
 * driver dir is never run (the controller warns about it at start), so a template means the same thing on every
 * controller whatever its driver dir holds.
 */
import type { DriverOutcome, DriverRequest } from './exec';

export const BUILTIN_DRIVER_KINDS = ['terraform', 'http'] as const;
export type BuiltinDriverKind = (typeof BUILTIN_DRIVER_KINDS)[number];

export function isBuiltinDriverKind(name: string): name is BuiltinDriverKind {
  return (BUILTIN_DRIVER_KINDS as readonly string[]).includes(name);
}

/** One built-in driver kind, behind the same budget, timeouts and intent-first re-drive as exec programs. */
export interface BuiltinDriver {
  /** Runs `req.op` for one instance. Never rejects for anything the infrastructure does; outcomes classify it. */
  run(req: DriverRequest, signal?: AbortSignal): Promise<DriverOutcome>;
  /**
   * Checks a template's `config` when the template is stored, so a bad one is refused by `terraform apply` rather
   * than failing every create later. Throws ValidationError with the path ['config', key].
   */
  checkConfig(config: Readonly<Record<string, string>>): void;
  /** Kills what runs now and refuses later runs (shutdown). */
  killAll(): void;
  /** Kills what runs now and keeps accepting runs (leadership lost, and maybe regained later). */
  killRunning(): void;
  /** Operations running now. */
  readonly running: number;
}
