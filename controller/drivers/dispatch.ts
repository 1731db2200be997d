/**
 * Routes each driver call to its kind: the built-in terraform and http drivers by their reserved names, everything
 * else to the exec driver. The executor sees one DriverRunner whatever the kind.
 */
import { ValidationError } from '../domain/errors';
import { isBuiltinDriverKind, type BuiltinDriver, type BuiltinDriverKind } from './builtin';
import type { DriverOutcome, DriverRequest, ExecDriver } from './exec';
import { resolveDriverProgram } from './program';
import type { DriverRunner } from './runner';

export interface DriverKinds {
  exec: ExecDriver;
  /** A kind left out is not configured on this controller (for example terraform without --modules-dir). */
  builtin: Partial<Record<BuiltinDriverKind, BuiltinDriver>>;
  /** Why a missing kind is missing, for the error a template gets; default: "not configured". */
  missingReason?: Partial<Record<BuiltinDriverKind, string>>;
  driverDir: string;
}

export class DriverDispatch implements DriverRunner {
  constructor(private readonly kinds: DriverKinds) {}

  get running(): number {
    let n = this.kinds.exec.running;
    for (const d of Object.values(this.kinds.builtin)) n += d?.running ?? 0;
    return n;
  }

  run(program: string, req: DriverRequest, signal?: AbortSignal): Promise<DriverOutcome> {
    if (!isBuiltinDriverKind(program)) return this.kinds.exec.run(program, req, signal);
    const driver = this.kinds.builtin[program];
    if (!driver) {
      // The template was stored by a controller that had this kind configured, or the operator removed the
      // setting since: fixable without touching the template, so retryable.
      return Promise.resolve({
        kind: 'retryable',
        message: `driver "${program}" ${req.op} cannot run: ${this.missing(program)}`,
        stderr: '',
        exitCode: null,
        durationMs: 0,
      });
    }
    return driver.run(req, signal);
  }

  /** The put-time check of a template's driver and config. Throws ValidationError naming the field. */
  checkTemplate(driverName: string, config: Readonly<Record<string, string>>): void {
    if (!isBuiltinDriverKind(driverName)) {
      resolveDriverProgram(this.kinds.driverDir, driverName);
      return;
    }
    const driver = this.kinds.builtin[driverName];
    if (!driver) throw ValidationError.field(['driver'], `driver "${driverName}" is not available: ${this.missing(driverName)}`);
    driver.checkConfig(config);
  }

  killAll(): void {
    this.kinds.exec.killAll();
    for (const d of Object.values(this.kinds.builtin)) d?.killAll();
  }

  killRunning(): void {
    this.kinds.exec.killRunning();
    for (const d of Object.values(this.kinds.builtin)) d?.killRunning();
  }

  private missing(kind: BuiltinDriverKind): string {
    return this.kinds.missingReason?.[kind] ?? 'it is not configured on this controller';
  }
}
