import type { Clock, Timer } from '../clock/clock';

/** A tick asked for by a change (a kick) waits this long, so a burst of changes makes one tick. */
export const KICK_DELAY_MS = 25;

/**
 * The scheduling both controller loops share: a tick on an interval and soon after anything changes (kick), never
 * two at once, on the injected clock's timers. A kick during a tick runs another tick right after it.
 */
export class TickLoop {
  private timer: Timer | undefined;
  private timerDue = 0;
  private current: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  /** Clock time the last successful tick ended. */
  lastTickAt = 0;
  /** Whether the last tick succeeded (false before the first one): /readyz turns false as soon as ticks fail. */
  lastTickSucceeded = false;
  /** Ticks finished (for tests and operators to see the loop turn). */
  tickCount = 0;

  constructor(
    private readonly clock: Clock,
    private readonly intervalMs: number,
    private readonly tick: () => Promise<void>,
    private readonly onError: (err: unknown) => void,
  ) {}

  start(): void {
    this.stopped = false;
    this.kick(0);
  }

  /** Ask for a tick soon; coalesces with a tick already scheduled or running. */
  kick(delayMs = KICK_DELAY_MS): void {
    if (this.stopped) return;
    if (this.current) {
      this.again = true;
      return;
    }
    // Keep an earlier tick if one is already due: a steady stream of kicks must not postpone it forever.
    const due = this.clock.now() + delayMs;
    if (this.timer && this.timerDue <= due) return;
    this.schedule(delayMs);
  }

  /** From inside a tick: run another one right after this (the tick acted, so the world changed). */
  tickAgain(): void {
    this.again = true;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.timer?.cancel();
    this.timer = undefined;
    await this.current;
  }

  /** Resolves when no tick is running (tests advance a fake clock, then wait for the tick it started). */
  async idle(): Promise<void> {
    while (this.current) await this.current;
  }

  /** Milliseconds until the next scheduled tick, or undefined when none is scheduled. */
  nextTickIn(): number | undefined {
    return this.timer ? this.timerDue - this.clock.now() : undefined;
  }

  private schedule(delayMs: number): void {
    this.timer?.cancel();
    this.timerDue = this.clock.now() + delayMs;
    this.timer = this.clock.setTimer(delayMs, () => this.run());
  }

  private run(): void {
    this.timer = undefined;
    this.current = this.tick()
      .then(() => {
        this.lastTickSucceeded = true;
        this.lastTickAt = this.clock.now();
      })
      .catch((err) => {
        this.lastTickSucceeded = false;
        this.onError(err);
      })
      .finally(() => {
        this.current = undefined;
        this.tickCount++;
        if (this.stopped) return;
        const again = this.again;
        this.again = false;
        this.schedule(again ? KICK_DELAY_MS : this.intervalMs);
      });
  }
}

/**
 * What a controller loop shows the rest of the controller (the daemon, readiness, tests): start, kick, stop and
 * the tick bookkeeping of its TickLoop. A loop supplies its tick and how a failed tick is reported.
 */
export abstract class LoopBase {
  private readonly loop: TickLoop;

  protected constructor(clock: Clock, intervalMs: number, onError: (err: unknown) => void) {
    this.loop = new TickLoop(
      clock,
      intervalMs,
      async () => {
        await this.tick();
      },
      onError,
    );
  }

  /** One cycle of the loop; tests and benchmarks call it directly. */
  abstract tick(): Promise<unknown>;

  /** From inside a tick: run another one right after it. */
  protected tickAgain(): void {
    this.loop.tickAgain();
  }

  /** Clock time of the last successful tick, for /readyz. */
  get lastTickAt(): number {
    return this.loop.lastTickAt;
  }
  /**
   * Whether the loop's last tick succeeded (false before the first one): /readyz is false while ticks fail, not
   * only once the last success is old, since a tick that fails once (a damaged page, a full disk) fails again.
   */
  get lastTickSucceeded(): boolean {
    return this.loop.lastTickSucceeded;
  }
  /** Ticks finished by the loop (for tests and operators to see it turn). */
  get tickCount(): number {
    return this.loop.tickCount;
  }
  start(): void {
    this.loop.start();
  }
  /** Ask for a tick soon; coalesces with a tick already scheduled or running. */
  kick(delayMs?: number): void {
    this.loop.kick(delayMs);
  }
  stop(): Promise<void> {
    return this.loop.stop();
  }
  /** Resolves when no tick is running (tests advance a fake clock, then wait for the tick it started). */
  idle(): Promise<void> {
    return this.loop.idle();
  }
  /** Milliseconds until the next scheduled tick, or undefined when none is scheduled. */
  nextTickIn(): number | undefined {
    return this.loop.nextTickIn();
  }
}
