/** One call's outcome inside a batch: a failing call fails alone. */
export type Outcome<R> = { ok: true; value: R } | { ok: false; error: unknown };

/** A call that succeeded, for a batch whose calls all fail or succeed together (one failure throws the batch). */
export function fulfilled<R>(value: R): Outcome<R> {
  return { ok: true, value };
}

/** Runs each call, catching its failure into its outcome. */
export function settle<C, R>(calls: readonly C[], run: (call: C) => R): Outcome<R>[] {
  return calls.map((c) => {
    try {
      return { ok: true, value: run(c) };
    } catch (error) {
      return { ok: false, error };
    }
  });
}

interface Pending<C, R> {
  call: C;
  resolve(value: R): void;
  reject(err: unknown): void;
}

/** After this many tries against a busy connection, the queued calls take the slow path. */
const maxBusyRetries = 20;

/**
 * Collects the calls that arrive within one turn of the event loop and runs them as one synchronous transaction: one
 * commit (one fsync) per burst instead of one per caller, which is most of a small write's cost under load (claims
 * and activity reports). Each call is still its own conditional statement, so its outcome is exactly that of a lone
 * call, and ordering and exclusivity are those of lone calls. A batch that throws rejects every call in it.
 */
export class SyncBatcher<C, R> {
  private queue: Array<Pending<C, R>> = [];
  private scheduled = false;
  private busyRetries = 0;

  constructor(
    /** The whole batch in one transaction, or null while another transaction holds the connection. */
    private readonly runBatch: (calls: readonly C[]) => Array<Outcome<R>> | null,
    /** The slow path: one call, queued behind whatever holds the connection. */
    private readonly runOne: (call: C) => Promise<R>,
    private readonly maxBatch = 256,
  ) {}

  run(call: C): Promise<R> {
    return new Promise((resolve, reject) => {
      this.queue.push({ call, resolve, reject });
      this.schedule();
    });
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  private flush(): void {
    this.scheduled = false;
    if (this.queue.length === 0) return;
    const batch = this.queue.splice(0, this.maxBatch);
    let outcomes: Array<Outcome<R>> | null;
    try {
      outcomes = this.runBatch(batch.map((p) => p.call));
    } catch (err) {
      for (const p of batch) p.reject(err);
      if (this.queue.length > 0) this.schedule();
      return;
    }
    if (outcomes === null) {
      if (++this.busyRetries <= maxBusyRetries) {
        this.queue.unshift(...batch);
        this.schedule();
        return;
      }
      this.busyRetries = 0;
      for (const p of batch) this.runOne(p.call).then(p.resolve, p.reject);
    } else {
      this.busyRetries = 0;
      batch.forEach((p, k) => {
        const o = outcomes![k];
        if (o.ok) p.resolve(o.value);
        else p.reject(o.error);
      });
    }
    if (this.queue.length > 0) this.schedule();
  }
}
