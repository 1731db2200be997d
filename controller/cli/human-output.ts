/**
 * Everything the CLI prints: readable tables and key/value blocks, the `--json` shapes, and error text.
 * JSON output uses snake_case keys (HCL names for specs) and RFC 3339 strings for instants, so it reads the
 * same as `explain --json` and can be fed to jq without knowing the wire format.
 *
 * Text output shows stored values (names, owners, descriptions, parameters, errors from drivers) through
 * escapeText: a control character is printed as `\n`, `\r`, `\u001b`…, so a value stored by an older release or
 * written by a driver cannot fake table rows or recolour the terminal. `table` and `keyValues` escape every cell;
 * every other interpolated value goes through `t`. JSON output needs neither: JSON escaping covers it.
 */
import { presetState } from '../view/preset-state';
import { goneText, replicaCounts, replicaRole, shortReplicaIds } from '../view/replica-state';
import type { ExplainAction, ExplainPreset, ExplainReport, StatusReport } from '../api/service';
import { ValidationError, formatPath } from '../domain/errors';
import { escapeText as t } from '../domain/text';
import { UsageError } from './args';
import type { InstanceRecord, PresetRecord, TemplateRecord } from '../domain/records';
import type { ReplicaRecord } from '../domain/replica';

// ---------------------------------------------------------------------------------------------------------------
// Basics

/** RFC 3339, or the raw number for values outside what Date can represent (never throw while printing). */
export function instant(ms: number | null | undefined): string | null {
  if (ms === null || ms === undefined) return null;
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? String(ms) : date.toISOString();
}

/**
 * "in 7h59m", "3m ago", "now": the two largest units, enough to read a deadline at a glance (the RFC 3339 instant
 * next to it is the exact value).
 */
export function relative(ms: number, now: number): string {
  const diff = ms - now;
  const abs = Math.abs(diff);
  if (abs < 1000) return 'now';
  const units: Array<[string, number]> = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  let rest = abs;
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const n = Math.floor(rest / size);
    rest -= n * size;
    if (n > 0 || parts.length > 0) parts.push(`${n}${unit}`);
    if (parts.length === 2) break;
  }
  const text = parts.filter((p, i) => i === 0 || !p.startsWith('0')).join('');
  return diff > 0 ? `in ${text}` : `${text} ago`;
}

function dash(value: string | null | undefined): string {
  return value === null || value === undefined || value === '' ? '-' : t(value);
}

/** Left-aligned columns separated by two spaces; the header row is upper-case by convention of the caller. */
export function table(header: string[], cells: string[][]): string {
  const rows = cells.map((r) => r.map(t));
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(header), ...rows.map(line)].join('\n') + '\n';
}

function keyValues(map: Record<string, string>, indent: string): string[] {
  const keys = Object.keys(map).sort();
  if (keys.length === 0) return [`${indent}(none)`];
  return keys.map((k) => `${indent}${t(k)} = ${t(map[k])}`);
}

export function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + '\n';
}

// ---------------------------------------------------------------------------------------------------------------
// Templates

export function templateJson(t: TemplateRecord) {
  return {
    id: t.id,
    name: t.name,
    driver: t.driver,
    config: t.config,
    version: t.version,
    created_at: instant(t.createdAt),
    updated_at: instant(t.updatedAt),
  };
}

export function templateText(tpl: TemplateRecord): string {
  return [
    `Template ${t(tpl.name)} (version ${tpl.version})`,
    `  driver:   ${t(tpl.driver)}`,
    `  created:  ${instant(tpl.createdAt)}`,
    `  updated:  ${instant(tpl.updatedAt)}`,
    '  config:',
    ...keyValues(tpl.config, '    '),
  ].join('\n') + '\n';
}

export function templateListText(list: TemplateRecord[]): string {
  if (list.length === 0) return 'No templates.\n';
  return table(
    ['NAME', 'DRIVER', 'VERSION', 'UPDATED'],
    list.map((tpl) => [tpl.name, tpl.driver, String(tpl.version), dash(instant(tpl.updatedAt))]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Presets

export function presetJson(p: PresetRecord) {
  return {
    id: p.id,
    template: p.template,
    name: p.name,
    description: p.description,
    default: p.default,
    parameters: p.parameters,
    prebuilds: p.prebuilds ?? null,
    generation: p.generation,
    paused: p.paused,
    status: p.status,
    status_reason: p.statusReason,
    invalidated_at: instant(p.invalidatedAt),
    created_at: instant(p.createdAt),
    updated_at: instant(p.updatedAt),
  };
}

function poolSummary(p: PresetRecord): string {
  const pb = p.prebuilds;
  if (!pb) return 'no pool';
  const parts = [`${pb.instances} base`];
  if (pb.scheduling) parts.push(`${pb.scheduling.schedule.length} schedule(s) in ${t(pb.scheduling.timezone)}`);
  if (pb.expiration_policy && pb.expiration_policy.ttl > 0) parts.push(`ttl ${pb.expiration_policy.ttl}s`);
  return parts.join(', ');
}

function statusWord(status: string, paused: boolean): string {
  return paused ? `${status} (paused)` : status;
}

export function presetText(p: PresetRecord): string {
  const lines = [
    `Preset ${t(p.id)}${p.default ? ' (default)' : ''}`,
    `  description:  ${dash(p.description)}`,
    `  status:       ${t(statusWord(p.status, p.paused))}${p.statusReason ? ` — ${t(p.statusReason)}` : ''}`,
    `  generation:   ${p.generation}`,
    `  invalidated:  ${dash(instant(p.invalidatedAt))}`,
    `  created:      ${instant(p.createdAt)}`,
    `  updated:      ${instant(p.updatedAt)}`,
    '  parameters:',
    ...keyValues(p.parameters, '    '),
  ];
  const pb = p.prebuilds;
  if (!pb) {
    lines.push('  prebuilds:    none (instances are built on claim)');
  } else {
    lines.push('  prebuilds:', `    instances:  ${pb.instances}`);
    if (pb.expiration_policy) lines.push(`    ttl:        ${pb.expiration_policy.ttl === 0 ? 'none' : `${pb.expiration_policy.ttl}s`}`);
    if (pb.scheduling) {
      const s = pb.scheduling;
      lines.push(`    timezone:   ${t(s.timezone)}`, `    lead_time:  ${t(s.lead_time ?? 'none')}`);
      s.schedule.forEach((e, i) => lines.push(`    schedule[${i}]: "${t(e.cron)}" → ${e.instances}`));
    }
  }
  return lines.join('\n') + '\n';
}

export function presetListText(list: PresetRecord[]): string {
  if (list.length === 0) return 'No presets.\n';
  return table(
    ['PRESET', 'DEFAULT', 'STATUS', 'POOL', 'UPDATED'],
    list.map((p) => [p.id, p.default ? 'yes' : '', statusWord(p.status, p.paused), poolSummary(p), dash(instant(p.updatedAt))]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Instances

export function instanceJson(i: InstanceRecord) {
  return {
    id: i.id,
    name: i.name,
    preset_id: i.presetId,
    template: i.template,
    preset: i.preset,
    state: i.state,
    owner: i.owner,
    template_version: i.templateVersion,
    created_at: instant(i.createdAt),
    ready_at: instant(i.readyAt),
    claimed_at: instant(i.claimedAt),
    attributes: i.attributes,
    error: i.error,
  };
}

export function instanceText(i: InstanceRecord): string {
  const lines = [
    `Instance ${t(i.id)} (${t(i.name)})`,
    `  preset:    ${t(i.presetId)} (template version ${i.templateVersion})`,
    `  state:     ${t(i.state)}`,
    `  owner:     ${i.owner === null ? '- (in the pool)' : t(i.owner)}`,
    `  created:   ${instant(i.createdAt)}`,
    `  ready:     ${dash(instant(i.readyAt))}`,
    `  claimed:   ${dash(instant(i.claimedAt))}`,
  ];
  if (i.error) lines.push(`  error:     ${t(i.error)}`);
  lines.push('  attributes:', ...keyValues(i.attributes, '    '));
  return lines.join('\n') + '\n';
}

export function instanceListText(list: InstanceRecord[]): string {
  if (list.length === 0) return 'No instances.\n';
  return table(
    ['ID', 'NAME', 'PRESET', 'STATE', 'OWNER', 'VERSION', 'CREATED'],
    list.map((i) => [i.id, i.name, i.presetId, i.state, dash(i.owner), String(i.templateVersion), dash(instant(i.createdAt))]),
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Explain and status

/** The `explain --json` contract: the report as the service produced it (snake_case keys already). */
export function explainJson(r: ExplainReport) {
  return { at: r.at, paused: r.paused, presets: r.presets.map((p) => withState(p, r.at)) };
}

export function statusJson(r: StatusReport) {
  return {
    at: r.at,
    paused: r.paused,
    in_flight: r.inFlight,
    in_flight_limit: r.inFlightLimit,
    presets: r.presets.map((p) => withState(p, r.at)),
    events: r.events.map((e) => ({
      at: new Date(e.at).toISOString(),
      preset_id: e.presetId,
      instance_id: e.instanceId,
      op: e.op,
      ok: e.ok,
      error: e.error,
      stderr_tail: e.stderrTail,
      duration_ms: e.durationMs,
    })),
    replicas: (r.replicas ?? []).map(replicaJson),
  };
}

/** One replica in `status --json`: every one registered (stopped and silent ones too), instants as RFC 3339. */
export function replicaJson(r: ReplicaRecord) {
  return {
    id: r.id,
    host: r.host,
    pid: r.pid,
    version: r.version,
    api: r.api,
    started_at: instant(r.startedAt),
    heartbeat_at: instant(r.heartbeatAt),
    stopped_at: instant(r.stoppedAt),
    alive: r.alive,
    leader: r.leader,
    lease_generation: r.leaseGeneration,
    lease_expires_at: instant(r.leaseExpiresAt),
  };
}

/** The preset as reported, plus `state`: the one sentence that says what matters (see preset-state.ts). */
function withState(p: ExplainPreset, at: string) {
  return { ...p, state: presetState(p, at).text };
}

export function actionText(a: ExplainAction): string {
  return t(rawActionText(a));
}

function rawActionText(a: ExplainAction): string {
  const reason = a.reason ? ` (${a.reason})` : '';
  switch (a.type) {
    case 'create':
      return `create ${a.count ?? 0}${reason}`;
    case 'delete':
      return `delete ${(a.instance_ids ?? []).join(', ') || '(none)'}${reason}`;
    case 'backoff':
      return `back off until ${a.until ?? '?'}${reason}`;
    case 'cancel_pending':
      return `cancel pending ${(a.instance_ids ?? []).join(', ') || '(none)'}${reason}`;
    default:
      return JSON.stringify(a);
  }
}

/** One table row per preset, each followed by the actions the next tick would run. */
function presetRows(presets: ExplainPreset[], columnsOf: (p: ExplainPreset) => string[], header: string[]): string {
  if (presets.length === 0) return 'No presets.\n';
  const rendered = table(header, presets.map(columnsOf)).split('\n');
  const out = [rendered[0]];
  presets.forEach((p, i) => {
    out.push(rendered[i + 1]);
    for (const a of p.actions) out.push(`  → ${actionText(a)}`);
    if (p.actions.length === 0) out.push('  → nothing to do');
  });
  return out.join('\n') + '\n';
}

export function explainText(r: ExplainReport): string {
  const head = `Evaluated at ${t(r.at)}${r.paused ? ' — the controller is paused globally: no reconcile actions run (claims are still served)' : ''}\n\n`;
  return (
    head +
    presetRows(
      r.presets,
      (p) => [
        `${p.template}/${p.preset}`,
        String(p.desired),
        p.desired_source,
        String(p.ready),
        String(p.starting),
        String(p.expired),
        String(p.outdated),
        presetState(p, r.at).text,
      ],
      ['PRESET', 'DESIRED', 'SOURCE', 'READY', 'STARTING', 'EXPIRED', 'OUTDATED', 'STATE'],
    )
  );
}

export function statusText(r: StatusReport): string {
  const controller = `Controller: ${r.paused ? 'paused globally' : 'running'}; driver operations in flight: ${r.inFlight}/${r.inFlightLimit}\n`;
  const head = `${controller}${replicasText(r.replicas ?? [], r.at)}\n`;
  if (r.presets.length === 0) return head + 'No presets.\n';
  return (
    head +
    table(
      ['PRESET', 'DESIRED', 'READY', 'STARTING', 'CLAIMED', 'FAILED', 'STATE'],
      r.presets.map((p) => [
        `${p.template}/${p.preset}`,
        String(p.desired),
        String(p.ready),
        String(p.starting),
        String(p.claimed),
        String(p.failed),
        presetState(p, r.at).text,
      ]),
    )
  );
}

/**
 * The replicas part of `status`, right under the controller line. One alive replica (the SQLite case, or a single
 * controller on PostgreSQL) is one line; several are a section with a row each (short id, host, pid, version, API
 * address, role, last heartbeat). Replicas stopped or silent are counted, not listed; `--json` has them all.
 * Heartbeat ages count from the report's instant (the controller's clock; on PostgreSQL heartbeats are the
 * database's clock, so a skew between the two shows here, never in `alive`). Nothing at all without replicas (a
 * controller that predates them).
 */
export function replicasText(replicas: readonly ReplicaRecord[], at: string): string {
  if (replicas.length === 0) return '';
  const now = Date.parse(at);
  const { alive, gone, leader } = replicaCounts(replicas);
  const ids = shortReplicaIds(alive);
  const age = (r: ReplicaRecord) => {
    if (!Number.isFinite(now)) return instant(r.heartbeatAt) ?? '-';
    const text = relative(Math.min(r.heartbeatAt, now), now);
    return text === 'now' ? 'just now' : text;
  };
  if (alive.length === 0) return `Replicas: none alive; ${goneText(gone)}\n`;
  if (alive.length === 1) {
    const one = alive[0];
    const line =
      `Replica ${t(ids.get(one.id) ?? one.id)} on ${dash(one.host)} (pid ${one.pid}, version ${dash(one.version)}): ` +
      `${one.leader ? replicaRole(one) : 'follower, no replica leads right now'}, heartbeat ${age(one)}${gone > 0 ? `; ${goneText(gone)}` : ''}`;
    return line + '\n';
  }
  const rows = table(
    ['ID', 'HOST', 'PID', 'VERSION', 'API', 'ROLE', 'HEARTBEAT'],
    alive.map((r) => [ids.get(r.id) ?? r.id, r.host, String(r.pid), dash(r.version), dash(r.api), replicaRole(r), age(r)]),
  );
  const notes: string[] = [];
  if (leader === undefined) notes.push('no replica leads right now (the lease is free or expired; one takes it shortly)');
  if (gone > 0) notes.push(goneText(gone));
  return `\nReplicas (${alive.length} alive):\n${indent(rows)}${notes.map((n) => `  ${n}\n`).join('')}`;
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => (l === '' ? l : `  ${l}`))
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Errors

/**
 * stderr text for a failure; the exit code is decided by the caller (2 for usage, 1 otherwise). Messages may come
 * from the controller (and quote what it stored), so they are escaped like any other value; only a usage error,
 * which is the CLI's own text, keeps its line breaks.
 */
export function errorText(err: unknown, context?: string): string {
  if (err instanceof ValidationError) {
    const title = context === undefined ? 'invalid input' : t(context);
    if (err.errors.length === 1 && err.errors[0].path.length === 0) return `prewarm: ${title}: ${t(err.errors[0].message)}\n`;
    const lines = err.errors.map((e) => `  ${e.path.length ? `${t(formatPath(e.path))}: ` : ''}${t(e.message)}`);
    return `prewarm: ${title}:\n${lines.join('\n')}\n`;
  }
  if (err instanceof UsageError) return `prewarm: ${err.message.split('\n').map(t).join('\n')}\n`;
  const message = err instanceof Error ? err.message : String(err);
  return `prewarm: ${context ? `${t(context)}: ` : ''}${t(message)}\n`;
}
