/**
 * The notification half of the API test double: webhook targets and their deliveries in Maps, validated through the
 * domain's parseTargetSpec as the real service does, so wire and CLI tests see the same field paths and messages.
 * The secret is kept apart from the records (`secrets`, for tests to check what arrived) and never returned.
 * workspace-fake.ts builds on this class; api-fake.ts exports the whole double as FakeService.
 */
import { ConflictError, NotFoundError, ValidationError } from '../../controller/domain/errors';
import {
  DELIVERY_STATES,
  parseTargetSpec,
  type DeliveryFilter,
  type DeliveryRecord,
  type NotificationTargetRecord,
  type TestDeliveryResult,
} from '../../controller/domain/notification-target';
import { nameProblem } from '../../controller/domain/names';
import type { PutOptions } from '../../controller/domain/records';
import { quote } from '../../controller/domain/text';
import type { NotificationTargetInput } from '../../controller/api/service';
import { PoolFakeService } from './pool-fake';

const MAX_LIST = 1000;
const DEFAULT_LIST = 100;

/** A delivery with every field set, none at its default (what a lossless codec must carry). */
export function fullDelivery(over: Partial<DeliveryRecord> = {}): DeliveryRecord {
  return {
    id: 41,
    notificationId: 7,
    target: 'ci-hook',
    event: 'workspace_autostop_reminder',
    key: 'workspace_autostop_reminder:3f2a9c1e:1772956800000',
    state: 'failed',
    attempts: 12,
    createdAt: Date.UTC(2026, 2, 8, 7, 0),
    nextAttemptAt: Date.UTC(2026, 2, 9, 7, 0),
    deliveredAt: Date.UTC(2026, 2, 8, 7, 1),
    failedAt: Date.UTC(2026, 2, 9, 7, 0, 1),
    lastStatus: 503,
    lastError: 'HTTP 503: upstream down',
    lastLatencyMs: 10_000,
    ...over,
  };
}

function checkName(value: string, field: string): void {
  const problem = nameProblem(value);
  if (problem !== null) throw ValidationError.field([field], problem);
}

export class NotifyFakeService extends PoolFakeService {
  readonly targets = new Map<string, NotificationTargetRecord>();
  /** The secret each target was last put with: what reached the service, for tests to check (never returned). */
  readonly secrets = new Map<string, string>();
  readonly deliveries = new Map<number, DeliveryRecord>();
  /** What testNotificationTarget answers, per target; a 200 in 12 ms otherwise. */
  readonly testResults = new Map<string, Omit<TestDeliveryResult, 'target'>>();
  private nextDeliveryId = 1;

  private findTarget(name: string): NotificationTargetRecord {
    const t = this.targets.get(name);
    if (!t) throw new NotFoundError(`no notification target named ${quote(name)}`);
    return t;
  }

  async putNotificationTarget(input: NotificationTargetInput, opts: PutOptions = {}): Promise<{ target: NotificationTargetRecord; changed: boolean }> {
    this.record('putNotificationTarget', input, opts);
    const spec = parseTargetSpec(input);
    const old = this.targets.get(spec.name);
    if (old && opts.createOnly) throw new ConflictError(`notification target ${quote(spec.name)} already exists`);
    const changed =
      old === undefined ||
      old.url !== spec.url ||
      old.format !== spec.format ||
      old.enabled !== spec.enabled ||
      old.events.join('\n') !== spec.events.join('\n') ||
      this.secrets.get(spec.name) !== spec.secret;
    const target: NotificationTargetRecord = {
      name: spec.name,
      url: spec.url,
      events: spec.events,
      format: spec.format,
      enabled: spec.enabled,
      createdAt: old?.createdAt ?? this.now,
      updatedAt: changed ? this.now : old.updatedAt,
    };
    this.targets.set(spec.name, target);
    this.secrets.set(spec.name, spec.secret);
    return { target, changed };
  }

  async getNotificationTarget(name: string): Promise<NotificationTargetRecord> {
    this.record('getNotificationTarget', name);
    checkName(name, 'name');
    return this.findTarget(name);
  }

  async listNotificationTargets(): Promise<NotificationTargetRecord[]> {
    this.record('listNotificationTargets');
    return [...this.targets.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  async deleteNotificationTarget(name: string): Promise<void> {
    this.record('deleteNotificationTarget', name);
    checkName(name, 'name');
    this.findTarget(name);
    this.targets.delete(name);
    this.secrets.delete(name);
    for (const [id, d] of this.deliveries) if (d.target === name) this.deliveries.delete(id);
  }

  async listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]> {
    this.record('listDeliveries', filter);
    if (filter.state !== undefined && !DELIVERY_STATES.includes(filter.state)) {
      throw ValidationError.field(['state'], `must be one of ${DELIVERY_STATES.join(', ')}, got ${quote(String(filter.state))}`);
    }
    if (filter.target !== undefined) checkName(filter.target, 'target');
    if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > MAX_LIST)) {
      throw ValidationError.field(['limit'], `must be a whole number from 1 to ${MAX_LIST}, got ${filter.limit}`);
    }
    return [...this.deliveries.values()]
      .filter((d) => (filter.state === undefined || d.state === filter.state) && (filter.target === undefined || d.target === filter.target))
      .sort((a, b) => b.id - a.id)
      .slice(0, filter.limit ?? DEFAULT_LIST);
  }

  async resendDelivery(id: number): Promise<DeliveryRecord> {
    this.record('resendDelivery', id);
    if (!Number.isSafeInteger(id) || id < 1) throw ValidationError.field(['id'], `must be a delivery id (a positive whole number), got ${id}`);
    const d = this.deliveries.get(id);
    if (!d) throw new NotFoundError(`no notification delivery with id ${id}`);
    const again: DeliveryRecord = { ...d, state: 'pending', attempts: 0, nextAttemptAt: this.now, deliveredAt: null, failedAt: null };
    this.deliveries.set(id, again);
    return again;
  }

  async testNotificationTarget(name: string): Promise<TestDeliveryResult> {
    this.record('testNotificationTarget', name);
    checkName(name, 'name');
    this.findTarget(name);
    return { target: name, ...(this.testResults.get(name) ?? { ok: true, status: 200, latencyMs: 12, error: '' }) };
  }

  /** Test setup, not recorded as a call: a target as if put (the secret is made up). */
  addTarget(over: Partial<NotificationTargetRecord> & { name: string }): NotificationTargetRecord {
    const t: NotificationTargetRecord = {
      url: `https://hooks.example.com/${over.name}`,
      events: ['*'],
      format: 'json',
      enabled: true,
      createdAt: this.now,
      updatedAt: this.now,
      ...over,
    };
    this.targets.set(t.name, t);
    this.secrets.set(t.name, `secret-of-${t.name}-0123456789`);
    return t;
  }

  /** Test setup, not recorded as a call. Ids count up from 1 unless given. */
  addDelivery(over: Partial<DeliveryRecord> = {}): DeliveryRecord {
    const id = over.id ?? this.nextDeliveryId;
    this.nextDeliveryId = Math.max(this.nextDeliveryId, id + 1);
    const d: DeliveryRecord = {
      id,
      notificationId: id,
      target: 'ci-hook',
      event: 'preset_hard_limited',
      key: `preset_hard_limited:devbox/us-nix:${id}`,
      state: 'pending',
      attempts: 0,
      createdAt: this.now,
      nextAttemptAt: this.now,
      deliveredAt: null,
      failedAt: null,
      lastStatus: null,
      lastError: '',
      lastLatencyMs: null,
      ...over,
    };
    this.deliveries.set(id, d);
    return d;
  }
}
