/**
 * The delivery loop: after notifications are committed it fans them out to their targets, leases the due
 * deliveries into free send slots and starts the sends. A tick never waits for a send, and each target has its own
 * slots, so a hanging receiver holds only its own slots and never the loop, the other targets or the controller's
 * other loops. A finished send records its outcome under its lease (a lease lost to expiry records nothing) and
 * kicks the loop for the next due one.
 */
import type { Clock } from '../clock/clock';
import type { DeliveryAttemptOutcome, DeliveryTarget, DueDelivery, TestDeliveryResult } from '../domain/notification-target';
import type { Logger } from '../log';
import type { ControllerMetrics } from '../ops/metrics';
import type { DeliveryControl } from '../service/notification-service';
import type { Store } from '../store/store';
import { LoopBase } from '../loop/tick-loop';
import { decideOutcome } from './delivery-backoff';
import { postWebhook, type SendResult } from './http-sender';
import type { SecretBox } from './secret-box';
import { signPayload } from '../net/signature';
import { renderBody, testNotification, type BodySource } from './webhook-body';

export type DeliveryStore = Pick<Store, 'deliveryTargets' | 'fanOutNotifications' | 'claimDeliveries' | 'recordDeliveryAttempt' | 'releaseDeliveries'>;

export interface DeliveryLoopDeps {
  store: DeliveryStore;
  clock: Clock;
  log: Logger;
  metrics?: Pick<ControllerMetrics, 'deliveries' | 'deliveryDuration'>;
  secretBox: SecretBox;
  random: () => number;
  /** Per-attempt timeout (the lease lasts this plus LEASE_MARGIN_MS). */
  timeoutMs: number;
  /** Sends in flight per target at most. */
  perTargetConcurrency: number;
  /** Sends in flight overall at most (64). */
  maxInFlight?: number;
  /** The ports this controller listens on: a send whose connection lands on one of them is refused. */
  ownPorts: () => readonly number[];
  /** Tick interval when nothing kicks the loop (1 s). */
  intervalMs?: number;
  /**
   * False while another replica leads: a tick then sends nothing (and counts as healthy). Deliveries are leased per
   * row either way; keeping them on the leader also keeps their lease times on one replica's clock. Default: always.
   */
  leads?: () => boolean;
}

/** Notifications fanned out per store call; a tick repeats while batches come back full, up to FAN_OUT_ROUNDS. */
export const FAN_OUT_BATCH = 500;
const FAN_OUT_ROUNDS = 20;
/** Extra lease time past the timeout, so a send that times out is still recorded under its own lease. */
export const LEASE_MARGIN_MS = 5_000;
export const DEFAULT_MAX_IN_FLIGHT = 64;

interface InFlight {
  due: DueDelivery;
  abort: AbortController;
  /** True until the outcome is being recorded: stop() releases the leases still held. */
  held: boolean;
  done: Promise<void>;
}

export interface DeliveryTickResult {
  fannedOut: number;
  claimed: number;
  started: number;
  released: number;
}

export class DeliveryLoop extends LoopBase implements DeliveryControl {
  private readonly sends = new Map<number, InFlight>();
  private readonly perTarget = new Map<string, number>();
  private readonly tests = new Set<AbortController>();
  private stopping = false;
  private readonly maxInFlight: number;

  constructor(private readonly deps: DeliveryLoopDeps) {
    super(deps.clock, deps.intervalMs ?? 1000, (err) => deps.log.error('delivery tick failed', { error: err }));
    this.maxInFlight = deps.maxInFlight ?? DEFAULT_MAX_IN_FLIGHT;
  }

  /** Sends running now (outbox deliveries; test sends not counted). */
  get inFlight(): number {
    return this.sends.size;
  }

  async tick(): Promise<DeliveryTickResult> {
    const result: DeliveryTickResult = { fannedOut: 0, claimed: 0, started: 0, released: 0 };
    if (this.stopping || (this.deps.leads && !this.deps.leads())) return result;
    const { store, clock } = this.deps;
    const now = clock.now();
    for (let round = 0; ; round++) {
      const n = await store.fanOutNotifications(now, FAN_OUT_BATCH);
      result.fannedOut += n;
      if (n < FAN_OUT_BATCH) break;
      if (round + 1 >= FAN_OUT_ROUNDS) {
        // A huge backlog is spread over ticks so one tick stays short; the next one follows at once.
        this.tickAgain();
        break;
      }
    }
    const slots = this.freeSlots(await store.deliveryTargets());
    if (slots.size === 0) return result;
    // The clock is read again: fanning out a large backlog can take seconds, and a lease computed from the tick's
    // start could run out while its send is still in flight.
    const claimedAt = clock.now();
    const claimed = await store.claimDeliveries(slots, claimedAt, claimedAt + this.deps.timeoutMs + LEASE_MARGIN_MS);
    result.claimed = claimed.length;
    if (claimed.length === 0) return result;
    // Read again: a target deleted or disabled while the claim ran must not be sent to.
    const current = new Map((await store.deliveryTargets()).map((t) => [t.name, t]));
    const release: DueDelivery[] = [];
    for (const due of claimed) {
      const target = current.get(due.target);
      // Still being sent here (a lease that ran out under a very slow send): one send per delivery at a time.
      if (this.sends.has(due.id)) continue;
      if (!target || !target.enabled || this.stopping) release.push(due);
      else {
        this.launch(due, target);
        result.started++;
      }
    }
    if (release.length > 0) {
      await store.releaseDeliveries(release.map((d) => ({ id: d.id, lease: d.lease })));
      result.released = release.length;
    }
    return result;
  }

  /** Free send slots per enabled target, handed out one at a time across targets so the overall cap is shared. */
  private freeSlots(targets: DeliveryTarget[]): Map<string, number> {
    const slots = new Map<string, number>();
    let free = this.maxInFlight - this.sends.size;
    const open = targets
      .filter((t) => t.enabled)
      .map((t) => ({ name: t.name, room: this.deps.perTargetConcurrency - (this.perTarget.get(t.name) ?? 0) }))
      .filter((t) => t.room > 0);
    while (free > 0 && open.some((t) => t.room > 0)) {
      for (const t of open) {
        if (free === 0 || t.room === 0) continue;
        t.room--;
        free--;
        slots.set(t.name, (slots.get(t.name) ?? 0) + 1);
      }
    }
    return slots;
  }

  private launch(due: DueDelivery, target: DeliveryTarget): void {
    const entry: InFlight = { due, abort: new AbortController(), held: true, done: Promise.resolve() };
    this.sends.set(due.id, entry);
    this.perTarget.set(due.target, (this.perTarget.get(due.target) ?? 0) + 1);
    entry.done = this.deliver(entry, target)
      .catch((err) => this.deps.log.error('delivery attempt could not be recorded; its lease expires and it is sent again', { delivery: due.id, target: due.target, error: err }))
      .finally(() => {
        this.sends.delete(due.id);
        const left = (this.perTarget.get(due.target) ?? 1) - 1;
        if (left > 0) this.perTarget.set(due.target, left);
        else this.perTarget.delete(due.target);
        // The freed slot is refilled at once rather than after the usual coalescing delay: a backlog then drains
        // at the receiver's pace. Ticks never overlap (kicks during one run one more right after it).
        if (!this.stopping) this.kick(0);
      });
  }

  private async deliver(entry: InFlight, target: DeliveryTarget): Promise<void> {
    const { due } = entry;
    const { store, clock, random } = this.deps;
    const result = await this.send(target, due, entry.abort.signal);
    // A send cut short by stop() is not an attempt: its lease is released and the next start sends it at once. A 2xx
    // that arrived before the abort is recorded, or the receiver would get it twice for nothing.
    if (entry.abort.signal.aborted && this.stopping && !result.ok) return;
    const now = clock.now();
    const outcome = decideOutcome(result, due, now, random);
    entry.held = false;
    const recorded = await store.recordDeliveryAttempt(due.id, due.lease, outcome, now);
    if (!recorded) {
      // Another claim owns it now (our lease expired): that attempt's result is the one that counts.
      this.deps.log.warn('delivery result not recorded: its lease expired and the delivery was claimed again', { delivery: due.id, target: due.target, key: due.key });
      return;
    }
    this.report(due, outcome);
  }

  /** Opens the secret, renders, signs and posts; a secret that cannot be opened is a failed attempt with that error. */
  private async send(target: DeliveryTarget, src: BodySource, signal: AbortSignal): Promise<SendResult> {
    const { clock, secretBox } = this.deps;
    let secret: string;
    try {
      secret = secretBox.open(target.sealedSecret);
    } catch (err) {
      return { ok: false, status: null, error: (err as Error).message, latencyMs: 0 };
    }
    const body = renderBody(target.format, src);
    return postWebhook({
      url: target.url,
      body,
      event: src.event,
      key: src.key,
      signature: signPayload(secret, body, Math.floor(clock.now() / 1000)),
      timeoutMs: this.deps.timeoutMs,
      clock,
      ownPorts: this.deps.ownPorts,
      signal,
    });
  }

  private report(due: DueDelivery, outcome: DeliveryAttemptOutcome): void {
    const { log, metrics } = this.deps;
    metrics?.deliveries.inc({ target: due.target, result: outcome.kind });
    metrics?.deliveryDuration.observe(outcome.latencyMs / 1000);
    const fields = { delivery: due.id, target: due.target, event: due.event, key: due.key, attempt: due.attempts + 1 };
    switch (outcome.kind) {
      case 'delivered':
        if (due.attempts > 0) log.info('notification delivered after retries', { ...fields, status: outcome.status });
        else log.debug('notification delivered', { ...fields, status: outcome.status, latency_ms: outcome.latencyMs });
        return;
      case 'retry':
        log.warn('notification delivery failed; retrying', {
          ...fields,
          status: outcome.status,
          error: outcome.error,
          next_attempt_at: new Date(outcome.nextAttemptAt).toISOString(),
        });
        return;
      case 'failed':
        log.error('notification delivery given up after 24 h of retries; `prewarm notify resend` sends it again', {
          ...fields,
          status: outcome.status,
          error: outcome.error,
        });
        return;
    }
  }

  /** Sends the test event to `target` now, outside the outbox, signed like any delivery. */
  async sendTest(target: DeliveryTarget): Promise<TestDeliveryResult> {
    const abort = new AbortController();
    this.tests.add(abort);
    try {
      const r = await this.send(target, testNotification(target.name, this.deps.clock.now()), abort.signal);
      return { target: target.name, ok: r.ok, status: r.status, latencyMs: r.latencyMs, error: r.error };
    } finally {
      this.tests.delete(abort);
    }
  }

  /** Resolves when no send is in flight (tests and benchmarks; sends finishing start no new ones until a tick). */
  async settled(): Promise<void> {
    while (this.sends.size > 0) await Promise.all([...this.sends.values()].map((s) => s.done));
  }

  /** Stops ticking, aborts the sends in flight and releases their leases, so the next start sends them at once. */
  override async stop(): Promise<void> {
    this.stopping = true;
    await super.stop();
    for (const s of this.sends.values()) s.abort.abort();
    for (const t of this.tests) t.abort();
    const running = [...this.sends.values()];
    await Promise.all(running.map((s) => s.done));
    const held = running.filter((s) => s.held).map((s) => ({ id: s.due.id, lease: s.due.lease }));
    if (held.length > 0) {
      try {
        await this.deps.store.releaseDeliveries(held);
      } catch (err) {
        this.deps.log.warn('could not release delivery leases; they expire on their own', { count: held.length, error: err });
      }
    }
  }
}
