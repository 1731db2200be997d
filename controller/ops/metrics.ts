/**
 * The controller's Prometheus metrics, on prom-client. Why prom-client rather than a few counters rendered by
 * hand: its default collectors give the standard process_* and nodejs_* series (CPU, resident memory, open file
 * descriptors, event-loop lag, GC pauses, heap spaces, active handles) under the names Node dashboards and
 * alerts already expect, and its exposition output is the reference text format.
 *
 * Each controller gets its own Registry (tests run several controllers in one process; the library's global
 * registry would mix them). The default collectors are different: they describe the process, and what they
 * start (an event-loop delay monitor, a GC observer) has no stop function in prom-client 15, so they are
 * created once per process and their metric objects are added to every controller's registry. Nothing in them
 * keeps the process alive (the monitor's timer is unreferenced), and a controller's own metrics start nothing,
 * so `close()` only has to empty its registry.
 */
import { collectDefaultMetrics, Counter as PromCounter, Gauge as PromGauge, Histogram as PromHistogram, Registry } from 'prom-client';

type Labels<L extends string> = Record<L, string>;

/** The content type of the exposition served on /metrics (text format 0.0.4). */
export const metricsContentType: string = Registry.PROMETHEUS_CONTENT_TYPE;

/**
 * prom-client prints labels in the key order of the object first passed for a series; sorting keeps every
 * series' labels in alphabetical order (`{preset="…",template="…"}`), as /metrics has always printed them.
 */
function sorted<L extends string>(labels: Labels<L>): Labels<L> {
  const keys = Object.keys(labels) as L[];
  if (keys.length < 2) return labels;
  const out = {} as Labels<L>;
  for (const k of keys.sort()) out[k] = labels[k];
  return out;
}

/** A value that cannot be printed as a number is reported as 0 (NaN or ±Inf would break most dashboards). */
function finite(value: number): number {
  return Number.isFinite(value) ? value : 0;
}

export class Counter<L extends string = never> {
  readonly metric: PromCounter<L>;
  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[] = []) {
    this.metric = new PromCounter({ name, help, labelNames, registers: [registry] });
  }
  inc(labels: Labels<L>, by = 1): void {
    this.metric.inc(sorted(labels), by);
  }
}

export class Gauge<L extends string = never> {
  readonly metric: PromGauge<L>;
  /** The latest replaceAll(), applied by the gauge's collect() when the registry is next rendered. */
  private pending: Array<[Labels<L>, number]> | undefined;
  constructor(registry: Registry, name: string, help: string, labelNames: readonly L[] = []) {
    const flush = () => this.flush();
    this.metric = new PromGauge({ name, help, labelNames, registers: [registry], collect: flush });
  }
  set(labels: Labels<L>, value: number): void {
    this.flush();
    this.metric.set(sorted(labels), finite(value));
  }
  /**
   * Replaces every series at once, so presets that disappeared stop being reported. The series are built when
   * /metrics is scraped (prom-client calls collect() then), not at each call.
   */
  replaceAll(entries: Array<[Labels<L>, number]>): void {
    this.pending = entries;
  }
  private flush(): void {
    const entries = this.pending;
    if (!entries) return;
    this.pending = undefined;
    this.metric.reset();
    for (const [labels, value] of entries) this.metric.set(sorted(labels), finite(value));
  }
}

export class Histogram {
  readonly metric: PromHistogram<never>;
  constructor(registry: Registry, name: string, help: string, buckets: number[]) {
    this.metric = new PromHistogram<never>({ name, help, buckets, registers: [registry] });
  }
  observe(value: number): void {
    this.metric.observe(value);
  }
}

/** A controller's registry: a prom-client Registry plus render(), the exposition text for /metrics. */
export class ControllerRegistry extends Registry {
  /** Rejects when a collector fails, so /metrics answers 500 rather than a partial 200. */
  render(): Promise<string> {
    return this.metrics();
  }
}

let processRegistry: Registry | undefined;

/** prom-client's default process_* and nodejs_* collectors, started once per process on first use. */
function processCollectors(): Registry {
  if (!processRegistry) {
    processRegistry = new Registry();
    collectDefaultMetrics({ register: processRegistry });
  }
  return processRegistry;
}

/** The controller's metrics, one set per controller (a fresh registry each). */
export function controllerMetrics() {
  const registry = new ControllerRegistry();
  const defaults = processCollectors();
  const metrics = {
    registry,
    reconcileDuration: new Histogram(registry, 'prewarm_reconcile_duration_seconds', 'Time taken by one reconcile cycle.', [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]),
    reconcileTotal: new Counter(registry, 'prewarm_reconcile_total', 'Reconcile cycles by result.', ['result']),
    actions: new Counter(registry, 'prewarm_actions_total', 'Driver operations by type and result.', ['type', 'result']),
    desired: new Gauge(registry, 'prewarm_preset_desired', 'Desired pool size per preset.', ['template', 'preset']),
    ready: new Gauge(registry, 'prewarm_preset_ready', 'Ready, claimable instances per preset.', ['template', 'preset']),
    starting: new Gauge(registry, 'prewarm_preset_starting', 'Instances being built per preset.', ['template', 'preset']),
    presetStatus: new Gauge(registry, 'prewarm_preset_status', '1 for the current status of each preset.', ['template', 'preset', 'status']),
    jobsInFlight: new Gauge(registry, 'prewarm_jobs_in_flight', 'Driver operations pending or running.'),
    outboxDepth: new Gauge(registry, 'prewarm_notification_outbox_depth', 'Notifications not fanned out to their targets yet plus deliveries pending.'),
    oldestPending: new Gauge(
      registry,
      'prewarm_notification_oldest_pending_seconds',
      'Age of the oldest notification still waiting for delivery to some target (0 when none waits).',
    ),
    deliveries: new Counter(
      registry,
      'prewarm_notification_deliveries_total',
      'Webhook delivery attempts by target and result: delivered, retry (will be tried again) or failed (given up).',
      ['target', 'result'],
    ),
    deliveryDuration: new Histogram(registry, 'prewarm_notification_delivery_duration_seconds', 'Time from request to the receiver\'s answer (or the failure) of one delivery attempt.', [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]),
    claims: new Counter(registry, 'prewarm_claims_total', 'Claims by result (pool, fallback, empty).', ['result']),
    paused: new Gauge(registry, 'prewarm_reconciliation_paused', '1 while reconciliation is paused globally.'),
    leader: new Gauge(
      registry,
      'prewarm_replica_leader',
      '1 while this replica holds the leader lease (runs the loops and the driver jobs); always 1 on SQLite.',
    ),
    leaderChanges: new Counter(registry, 'prewarm_replica_leadership_changes_total', 'Times this replica gained or lost the leader lease.', ['event']),
    lifecycleDuration: new Histogram(registry, 'prewarm_lifecycle_tick_duration_seconds', 'Time taken by one lifecycle tick.', [
      0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
    ]),
    lifecycleTicks: new Counter(registry, 'prewarm_lifecycle_ticks_total', 'Lifecycle ticks by result.', ['result']),
    lifecycleTransitions: new Counter(
      registry,
      'prewarm_lifecycle_transitions_total',
      'Lifecycle decisions by rule (autostop, stopped_ttl, …) and result: applied, or skipped because the workspace changed first.',
      ['type', 'result'],
    ),
    workspaces: new Gauge(registry, 'prewarm_workspaces', 'Workspaces (claimed instances, archived ones excluded) by state.', ['state']),
    dormantWorkspaces: new Gauge(registry, 'prewarm_workspaces_dormant', 'Workspaces marked dormant.'),
    // process_resident_memory_bytes comes with prom-client's default metrics, read at each scrape.
    // Not in the default set (which has nodejs_heap_size_used_bytes / _total_bytes): kept under their own names.
    heapUsed: new Gauge(registry, 'nodejs_heap_used_bytes', 'V8 heap in use, bytes.'),
    heapTotal: new Gauge(registry, 'nodejs_heap_total_bytes', 'V8 heap reserved, bytes.'),
    /** Drops this controller's metrics. The process-wide default collectors stay, shared by every registry. */
    close(): void {
      registry.clear();
    },
  };
  // registerMetric throws on a name that is already registered, so a clash with the defaults fails here.
  for (const { name } of defaults.getMetricsAsArray()) registry.registerMetric(defaults.getSingleMetric(name)!);
  return metrics;
}

export type ControllerMetrics = ReturnType<typeof controllerMetrics>;
