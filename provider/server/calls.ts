/**
 * The provider calls in flight and their cancellation. Every call gets its own AbortSignal; StopProvider (Ctrl-C in
 * Terraform) and shutdown abort all of the calls running at that moment. A call that starts afterwards gets a fresh,
 * un-aborted signal: StopProvider cancels work, it does not poison the process.
 */
export class StopProviderError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'StopProviderError';
  }
}

export class CallRegistry {
  private readonly running = new Set<AbortController>();

  /** Registers a call; pair with end() in a finally block. */
  begin(): AbortController {
    const controller = new AbortController();
    this.running.add(controller);
    return controller;
  }

  end(controller: AbortController): void {
    this.running.delete(controller);
  }

  /** Aborts every call in flight; returns how many there were. */
  abortAll(reason: string): number {
    const n = this.running.size;
    for (const controller of this.running) controller.abort(new StopProviderError(reason));
    this.running.clear();
    return n;
  }

  get size(): number {
    return this.running.size;
  }
}
