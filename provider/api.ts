/**
 * Calls to the controller's API on behalf of one RPC: the client comes from the configured session, the call
 * gives up when Terraform stops the provider, and every failure becomes diagnostics (DiagnosticsError):
 *   ValidationError → one diagnostic per field error, attached to the attribute the field maps to;
 *   NotFoundError / ConflictError / ApiError (transport, auth, TLS) → one diagnostic with the message as detail.
 * Error classes are recognised by name as well as instanceof, like controller/api/status.ts does, because a
 * bundled provider may load controller/model/errors.ts more than once.
 */
import type { PrewarmClient } from '../controller/api/client';
import type { PresetRecord } from '../controller/domain/records';
import type { BlockDef } from './schema';
import type { ProviderSession } from './config';
import { DiagnosticsError, errorDiag, fieldErrorDiag, fieldErrorsOf, type Diagnostic } from './diagnostics';

export function isNotFound(err: unknown): boolean {
  return err instanceof Error && err.name === 'NotFoundError';
}

/** How a call words a refusal (FAILED_PRECONDITION) it knows the meaning of: from the controller's message. */
export type ConflictDiagnostic = (message: string) => Diagnostic;

/**
 * An API failure → diagnostics. `action` reads like "create preset devbox/us-nix". A conflict is worded by
 * `conflict` when the call knows what it means, else as "Cannot ACTION: conflict" with the controller's message.
 */
export function apiErrorDiagnostics(err: unknown, action: string, block: BlockDef, what: string, conflict?: ConflictDiagnostic): Diagnostic[] {
  const fields = fieldErrorsOf(err);
  if (fields !== undefined) {
    return fields.map((fe) => fieldErrorDiag(fe, block, what, `rejected by the prewarm controller`));
  }
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof Error && err.name === 'NotFoundError') return [errorDiag(`Cannot ${action}: not found`, message)];
  if (err instanceof Error && err.name === 'ConflictError') return [conflict ? conflict(message) : errorDiag(`Cannot ${action}: conflict`, message)];
  return [errorDiag(`Cannot ${action}`, message)];
}

export class CancelledError extends Error {
  constructor(action: string) {
    super(`${action}: cancelled because Terraform is stopping the provider`);
    this.name = 'CancelledError';
  }
}

/**
 * Starts `start()` unless `signal` is already aborted, and resolves like it, or rejects with CancelledError as
 * soon as `signal` aborts (the call itself then runs out in the background; its result is ignored).
 */
export function untilAborted<T>(start: () => Promise<T>, signal: AbortSignal | undefined, action: string): Promise<T> {
  if (signal === undefined) return start();
  if (signal.aborted) return Promise.reject(new CancelledError(action));
  const promise = start();
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new CancelledError(action));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** What resource and data source code uses to reach the controller. */
export interface Api {
  /** Runs `fn` with the client; every failure becomes a DiagnosticsError (a conflict worded by `conflict`, if given). */
  call<T>(action: string, fn: (client: PrewarmClient) => Promise<T>, conflict?: ConflictDiagnostic): Promise<T>;
  /** Like call, but a NotFoundError resolves to undefined (reads and deletes). */
  callAllowNotFound<T>(action: string, fn: (client: PrewarmClient) => Promise<T>, conflict?: ConflictDiagnostic): Promise<T | undefined>;
  /** Waits `ms` between two polls; rejects with a DiagnosticsError as soon as Terraform stops the provider. */
  sleep(ms: number, action: string): Promise<void>;
  /** A refresh of one preset, through this process's per-template lists (provider/preset-reads.ts); undefined when gone. */
  readPreset(action: string, template: string, name: string): Promise<PresetRecord | undefined>;
}

/** A timer that ends early, with CancelledError, when `signal` aborts. */
export function sleepUnlessAborted(ms: number, signal: AbortSignal | undefined, action: string): Promise<void> {
  // The listener goes as soon as the timer fires: a create polls a signal for up to a day.
  const timed = () =>
    new Promise<void>((resolve) => {
      const cancel = () => clearTimeout(timer);
      const timer = setTimeout(() => {
        signal?.removeEventListener('abort', cancel);
        resolve();
      }, ms);
      signal?.addEventListener('abort', cancel, { once: true });
    });
  return untilAborted(timed, signal, action);
}

export function makeApi(session: ProviderSession, signal: AbortSignal | undefined, block: BlockDef, what: string): Api {
  async function run<T>(
    action: string,
    fn: (client: PrewarmClient) => Promise<T>,
    allowNotFound: boolean,
    conflict: ConflictDiagnostic | undefined,
  ): Promise<T | undefined> {
    const client = session.getClient(action);
    try {
      return await untilAborted(() => fn(client), signal, action);
    } catch (err) {
      if (allowNotFound && isNotFound(err)) return undefined;
      if (err instanceof CancelledError) throw new DiagnosticsError([errorDiag(`Cannot ${action}: cancelled`, err.message)]);
      throw new DiagnosticsError(apiErrorDiagnostics(err, action, block, what, conflict));
    }
  }
  return {
    call: async <T>(action: string, fn: (client: PrewarmClient) => Promise<T>, conflict?: ConflictDiagnostic) =>
      (await run(action, fn, false, conflict)) as T,
    callAllowNotFound: (action, fn, conflict) => run(action, fn, true, conflict),
    readPreset: (action, template, name) =>
      run(action, (c) => session.presetReads.get(c, template, name, () => c.getPreset(template, name)), true, undefined),
    async sleep(ms, action) {
      try {
        await sleepUnlessAborted(ms, signal, action);
      } catch (err) {
        if (err instanceof CancelledError) throw new DiagnosticsError([errorDiag(`Cannot ${action}: cancelled`, err.message)]);
        throw err;
      }
    },
  };
}
