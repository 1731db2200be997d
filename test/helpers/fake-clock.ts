import { type Clock, sleepOn, type Timer } from '../../controller/clock/clock';

interface Scheduled {
  due: number;
  seq: number;
  fn: () => void;
}

/**
 * A clock that moves only when told to. Timers fire in due order (ties in the order they were set), with
 * `now()` set to each timer's due instant while it runs, so loop cadence and backoff expiry are tested
 * without sleeping.
 */
export class FakeClock implements Clock {
  private ms: number;
  private seq = 0;
  private timers: Scheduled[] = [];

  constructor(start: number | string | Date = 0) {
    this.ms = toMs(start);
  }

  now(): number {
    return this.ms;
  }

  setTimer(delayMs: number, fn: () => void): Timer {
    const entry: Scheduled = { due: this.ms + Math.max(0, delayMs), seq: this.seq++, fn };
    this.timers.push(entry);
    return { cancel: () => void (this.timers = this.timers.filter((t) => t !== entry)) };
  }

  sleep(delayMs: number, signal?: AbortSignal): Promise<void> {
    return sleepOn(this, delayMs, signal);
  }

  /** Jumps to an instant without firing timers (a clock step, or `explain --at` in tests). */
  set(at: number | string | Date): void {
    this.ms = toMs(at);
  }

  /** Moves time forward by `ms`, firing every timer that falls due on the way (synchronously). */
  advance(ms: number): void {
    const until = this.ms + ms;
    for (let next = this.nextDue(until); next; next = this.nextDue(until)) {
      this.timers = this.timers.filter((t) => t !== next);
      this.ms = next.due;
      next.fn();
    }
    this.ms = until;
  }

  /**
   * Like advance, but lets promise chains run after each timer (a timer that starts async work, such as a
   * reconcile tick, gets to finish and schedule its successor before the next timer fires).
   */
  async advanceAsync(ms: number, settle: () => Promise<void> = flushMicrotasks): Promise<void> {
    const until = this.ms + ms;
    await settle();
    for (let next = this.nextDue(until); next; next = this.nextDue(until)) {
      this.timers = this.timers.filter((t) => t !== next);
      this.ms = next.due;
      next.fn();
      await settle();
    }
    this.ms = until;
  }

  /** Delays of the timers still pending, from now, in due order. */
  pending(): number[] {
    return [...this.timers].sort(byDue).map((t) => t.due - this.ms);
  }

  private nextDue(until: number): Scheduled | undefined {
    let best: Scheduled | undefined;
    for (const t of this.timers) if (t.due <= until && (!best || byDue(t, best) < 0)) best = t;
    return best;
  }
}

function byDue(a: Scheduled, b: Scheduled): number {
  return a.due - b.due || a.seq - b.seq;
}

function toMs(at: number | string | Date): number {
  return typeof at === 'number' ? at : new Date(at).getTime();
}

/** A few turns of the real event loop: enough for promise chains and I/O callbacks already queued. */
export async function flushMicrotasks(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise<void>((r) => setImmediate(r));
}
