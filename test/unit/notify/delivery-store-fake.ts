/**
 * An in-memory stand-in for the store methods the delivery loop uses, with the same lease rules as the real store
 * (a claim bumps the lease generation; a result is recorded only under the current one), so the loop's own logic is
 * tested here and the SQL in the store's tests.
 */
import type { DeliveryAttemptOutcome, DeliveryTarget, DueDelivery } from '../../../controller/domain/notification-target';
import { targetWants } from '../../../controller/domain/notification-target';
import type { OutboxNotification } from '../../../controller/domain/workspace';
import type { DeliveryStore } from '../../../controller/notify/delivery-loop';

export interface FakeRow {
  id: number;
  notificationId: number;
  target: string;
  state: 'pending' | 'delivered' | 'failed';
  attempts: number;
  windowStart: number;
  nextAttemptAt: number;
  lease: number;
  leaseUntil: number | null;
  lastStatus: number | null;
  lastError: string;
}

interface FakeNotification extends OutboxNotification {
  id: number;
  createdAt: number;
  fannedOut: boolean;
}

export class FakeDeliveryStore implements DeliveryStore {
  readonly targets = new Map<string, DeliveryTarget & { events: string[] }>();
  readonly notifications: FakeNotification[] = [];
  readonly rows: FakeRow[] = [];
  readonly fanOutCalls: number[] = [];
  readonly claimSlots: Array<Map<string, number>> = [];
  readonly released: Array<{ id: number; lease: number }> = [];
  /** Runs right after a claim (to change the world between the claim and the send). */
  afterClaim: (() => void) | undefined;

  addTarget(t: DeliveryTarget & { events?: string[] }): void {
    this.targets.set(t.name, { events: ['*'], ...t });
  }

  notify(n: OutboxNotification, createdAt: number): void {
    this.notifications.push({ ...n, id: this.notifications.length + 1, createdAt, fannedOut: false });
  }

  row(target: string, notificationId = 1): FakeRow {
    const r = this.rows.find((x) => x.target === target && x.notificationId === notificationId);
    if (!r) throw new Error(`no delivery of ${notificationId} to ${target}`);
    return r;
  }

  async deliveryTargets(): Promise<DeliveryTarget[]> {
    return [...this.targets.values()].map(({ events: _e, ...t }) => ({ ...t }));
  }

  async fanOutNotifications(now: number, limit: number): Promise<number> {
    const batch = this.notifications.filter((n) => !n.fannedOut).slice(0, limit);
    for (const n of batch) {
      n.fannedOut = true;
      for (const t of this.targets.values()) {
        if (!t.enabled || !targetWants(t.events, n.event)) continue;
        this.rows.push({ id: this.rows.length + 1, notificationId: n.id, target: t.name, state: 'pending', attempts: 0, windowStart: now, nextAttemptAt: now, lease: 0, leaseUntil: null, lastStatus: null, lastError: '' });
      }
    }
    this.fanOutCalls.push(batch.length);
    return batch.length;
  }

  async claimDeliveries(slots: ReadonlyMap<string, number>, now: number, leaseUntil: number): Promise<DueDelivery[]> {
    this.claimSlots.push(new Map(slots));
    const out: DueDelivery[] = [];
    for (const [target, n] of slots) {
      const due = this.rows
        .filter((r) => r.target === target && r.state === 'pending' && r.nextAttemptAt <= now && (r.leaseUntil === null || r.leaseUntil <= now))
        .sort((a, b) => a.nextAttemptAt - b.nextAttemptAt || a.id - b.id)
        .slice(0, n);
      for (const r of due) {
        r.lease++;
        r.leaseUntil = leaseUntil;
        const n = this.notifications.find((x) => x.id === r.notificationId)!;
        out.push({ id: r.id, notificationId: n.id, target, event: n.event, key: n.key, payload: JSON.stringify(n.payload), notificationCreatedAt: n.createdAt, attempts: r.attempts, windowStart: r.windowStart, lease: r.lease });
      }
    }
    this.afterClaim?.();
    return out;
  }

  async recordDeliveryAttempt(id: number, lease: number, outcome: DeliveryAttemptOutcome, _now: number): Promise<boolean> {
    const r = this.rows.find((x) => x.id === id);
    if (!r || r.lease !== lease) return false;
    r.attempts++;
    r.leaseUntil = null;
    r.lastStatus = outcome.status;
    r.lastError = outcome.kind === 'delivered' ? '' : outcome.error;
    if (outcome.kind === 'delivered') r.state = 'delivered';
    else if (outcome.kind === 'failed') r.state = 'failed';
    else r.nextAttemptAt = outcome.nextAttemptAt;
    return true;
  }

  async releaseDeliveries(leases: ReadonlyArray<{ id: number; lease: number }>): Promise<void> {
    for (const l of leases) {
      this.released.push(l);
      const r = this.rows.find((x) => x.id === l.id);
      if (r && r.lease === l.lease) r.leaseUntil = null;
    }
  }
}
