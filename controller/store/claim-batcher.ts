import type { ClaimCall } from './claims';
import type { InstanceRow } from './tables';

type RunBatch = (calls: readonly ClaimCall[]) => Array<InstanceRow | undefined> | null;

interface Pending {
  call: ClaimCall;
  resolve(row: InstanceRow | undefined): void;
  reject(err: unknown): void;
}

const maxBatch = 256;
/** After this many tries against a busy connection, fall back to the queued (promise-based) path. */
const maxBusyRetries = 20;

/**
 * Collects the claims that arrive within one turn of the event loop and runs them in a single transaction:
 * one commit per burst instead of one per claimer, which is most of a claim's cost under load. Each claim
 * is still its own conditional UPDATE, so ordering and exclusivity are exactly those of a lone claim.
 */
export class ClaimBatcher {
  private queue: Pending[] = [];
  private scheduled = false;
  private busyRetries = 0;

  constructor(
    private readonly runBatch: RunBatch,
    /** The slow path, used when the connection stays busy with another transaction. */
    private readonly runOne: (call: ClaimCall) => Promise<InstanceRow | undefined>,
  ) {}

  claim(call: ClaimCall): Promise<InstanceRow | undefined> {
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
    const batch = this.queue.splice(0, maxBatch);
    let rows: Array<InstanceRow | undefined> | null;
    try {
      rows = this.runBatch(batch.map((p) => p.call));
    } catch (err) {
      for (const p of batch) p.reject(err);
      if (this.queue.length > 0) this.schedule();
      return;
    }
    if (rows === null) {
      if (++this.busyRetries <= maxBusyRetries) {
        this.queue.unshift(...batch);
        this.schedule();
        return;
      }
      this.busyRetries = 0;
      for (const p of batch) this.runOne(p.call).then(p.resolve, p.reject);
    } else {
      this.busyRetries = 0;
      batch.forEach((p, k) => p.resolve(rows![k]));
    }
    if (this.queue.length > 0) this.schedule();
  }
}
