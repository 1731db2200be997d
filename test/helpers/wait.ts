/** The one polling helper of the test suite: wait for something observable instead of sleeping. */

export type WaitCheck<T> = () => T | false | undefined | null | Promise<T | false | undefined | null>;

/**
 * Calls `check` every `intervalMs` until it returns a truthy value, and resolves with that value. A check that
 * throws counts as "not yet" (a connection refused while a server starts, say); the last error is quoted if the
 * deadline passes. `what` names the awaited event in the timeout error; give a function to add state that is only
 * worth computing on failure (a process's stderr so far).
 */
export async function waitFor<T>(
  what: string | (() => string),
  check: WaitCheck<T>,
  timeoutMs = 20_000,
  intervalMs = 20,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await check();
      if (v) return v;
      last = undefined;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) {
      const name = typeof what === 'string' ? what : what();
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${name}${last ? `: ${(last as Error).message}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
