import * as os from 'node:os';
import type { NotificationTargetInput } from '../api/service';
import type { Clock } from '../clock/clock';
import { NotFoundError, ValidationError } from '../domain/errors';
import {
  DELIVERY_STATES,
  type DeliveryFilter,
  type DeliveryRecord,
  type DeliveryTarget,
  type NotificationTargetRecord,
  parseTargetSpec,
  type TestDeliveryResult,
} from '../domain/notification-target';
import { nameProblem } from '../domain/names';
import type { PutOptions } from '../domain/records';
import { quote } from '../domain/text';
import type { Logger } from '../log';
import type { Store } from '../store/store';
import { isLocalAddress } from '../net/local-address';

/** Seals target secrets at rest; the service never keeps a secret in the clear past the put. */
export interface SecretSealer {
  seal(plain: string): string;
  fingerprint(plain: string): string;
}

/** The part of the delivery loop the service drives. */
export interface DeliveryControl {
  /** A new target or a resend: look for due deliveries soon. */
  kick(): void;
  sendTest(target: DeliveryTarget): Promise<TestDeliveryResult>;
}

export interface NotificationServiceDeps {
  store: Store;
  clock: Clock;
  log: Logger;
  secrets: SecretSealer;
  delivery: DeliveryControl;
  /** The ports this controller listens on (API, metrics): a target there would post into the controller itself. */
  ownPorts: () => readonly number[];
}

const MAX_LIST = 1000;

/**
 * Notification targets and what was delivered to them. Every way a target arrives (API, CLI file, Terraform) passes
 * the same domain validation here, then the secret is sealed before the store sees it.
 */
export class NotificationService {
  constructor(private readonly deps: NotificationServiceDeps) {}

  async putNotificationTarget(input: NotificationTargetInput, opts: PutOptions = {}): Promise<{ target: NotificationTargetRecord; changed: boolean }> {
    const spec = parseTargetSpec(input);
    const port = ownPortOf(spec.url, this.deps.ownPorts());
    if (port !== null) {
      throw ValidationError.field(['url'], `points at this controller's own port ${port}: a notification would be posted back into the controller`);
    }
    const { secrets, store, clock, log } = this.deps;
    const { record, changed } = await store.putNotificationTarget(
      {
        name: spec.name,
        url: spec.url,
        events: spec.events,
        format: spec.format,
        enabled: spec.enabled,
        sealedSecret: secrets.seal(spec.secret),
        secretFingerprint: secrets.fingerprint(spec.secret),
      },
      clock.now(),
      opts,
    );
    if (changed) {
      log.info('notification target stored', { target: record.name, events: record.events.join(','), format: record.format, enabled: record.enabled });
      this.deps.delivery.kick();
    }
    return { target: record, changed };
  }

  getNotificationTarget(name: string): Promise<NotificationTargetRecord> {
    checkName(name, 'name');
    return this.deps.store.getNotificationTarget(name);
  }

  listNotificationTargets(): Promise<NotificationTargetRecord[]> {
    return this.deps.store.listNotificationTargets();
  }

  async deleteNotificationTarget(name: string): Promise<void> {
    checkName(name, 'name');
    await this.deps.store.deleteNotificationTarget(name);
    this.deps.log.info('notification target deleted; its pending deliveries are dropped', { target: name });
  }

  listDeliveries(filter: DeliveryFilter): Promise<DeliveryRecord[]> {
    if (filter.state !== undefined && !(DELIVERY_STATES as readonly string[]).includes(filter.state)) {
      throw ValidationError.field(['state'], `must be one of ${DELIVERY_STATES.join(', ')}, got ${quote(String(filter.state))}`);
    }
    if (filter.target !== undefined) checkName(filter.target, 'target');
    if (filter.limit !== undefined && (!Number.isInteger(filter.limit) || filter.limit < 1 || filter.limit > MAX_LIST)) {
      throw ValidationError.field(['limit'], `must be a whole number from 1 to ${MAX_LIST}, got ${filter.limit}`);
    }
    return this.deps.store.listDeliveries(filter);
  }

  async resendDelivery(id: number): Promise<DeliveryRecord> {
    if (!Number.isSafeInteger(id) || id < 1) throw ValidationError.field(['id'], `must be a delivery id (a positive whole number), got ${id}`);
    const record = await this.deps.store.resendDelivery(id, this.deps.clock.now());
    this.deps.log.info('notification delivery queued again', { delivery: id, target: record.target, key: record.key });
    this.deps.delivery.kick();
    return record;
  }

  async testNotificationTarget(name: string): Promise<TestDeliveryResult> {
    checkName(name, 'name');
    // Enabled or not: testing a target before switching it on is the point of the command.
    const target = (await this.deps.store.deliveryTargets()).find((t) => t.name === name);
    if (!target) throw new NotFoundError(`no notification target named ${quote(name)}`);
    const result = await this.deps.delivery.sendTest(target);
    this.deps.log.info('test notification sent', { target: name, ok: result.ok, status: result.status, latency_ms: result.latencyMs });
    return result;
  }
}

function checkName(value: string, field: string): void {
  const problem = nameProblem(value);
  if (problem !== null) throw ValidationError.field([field], problem);
}

/**
 * The port, when `url` reaches this machine on one of `ports`: a loopback, unspecified or local interface address,
 * "localhost" (and *.localhost) or this host's name. A name that only DNS maps here is caught when the sender sees
 * where its socket connected.
 */
export function ownPortOf(url: string, ports: readonly number[]): number | null {
  const u = new URL(url);
  const port = u.port === '' ? (u.protocol === 'https:' ? 443 : 80) : Number(u.port);
  if (!ports.includes(port)) return null;
  const host = u.hostname.replace(/^\[|\]$/g, '').toLowerCase();
  if (host === 'localhost' || host.endsWith('.localhost') || host === os.hostname().toLowerCase()) return port;
  return isLocalAddress(host) ? port : null;
}
