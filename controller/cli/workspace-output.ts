/**
 * What the `prewarm workspace` commands (and `prewarm claim`) print: the Workspace JSON contract, readable blocks and
 * tables, and the explain outlook. Same rules as human-output.ts: JSON keys are snake_case with instants as RFC 3339
 * UTC (or null) and durations as lifecycle strings ("8h"); text escapes every stored value.
 */
import type { WorkspaceExplainReport } from '../api/service';
import { formatLifecycleDuration } from '../domain/lifecycle-duration';
import { LIFECYCLE_POLICY_ATTRS, type LifecyclePolicy, type LifecyclePolicyAttr } from '../domain/lifecycle-policy';
import { escapeText as t } from '../domain/text';
import type { RuleOutlook, WorkspaceRecord } from '../domain/workspace';
import { instant, relative, table } from './human-output';

// relative() lived here first; its importers keep this path.
export { relative };

const POLICY_KEY: Readonly<Record<LifecyclePolicyAttr, keyof LifecyclePolicy>> = {
  autostop_after: 'autostopAfterMs',
  autostop_reminder: 'autostopReminderMs',
  stopped_ttl: 'stoppedTtlMs',
  dormant_after: 'dormantAfterMs',
  dormant_delete_after: 'dormantDeleteAfterMs',
  auto_destroy_reminder: 'autoDestroyReminderMs',
};

function duration(ms: number | null): string | null {
  return ms === null ? null : formatLifecycleDuration(ms);
}

/** Every attribute, null when its rule is off: a fixed shape is easier to query than one that drops keys. */
export function lifecyclePolicyJson(p: LifecyclePolicy): Record<LifecyclePolicyAttr, string | null> {
  const out = {} as Record<LifecyclePolicyAttr, string | null>;
  for (const attr of LIFECYCLE_POLICY_ATTRS) out[attr] = duration(p[POLICY_KEY[attr]]);
  return out;
}

/** The Workspace JSON contract (`--json` of every workspace command). */
export function workspaceJson(w: WorkspaceRecord) {
  return {
    id: w.id,
    name: w.name,
    template: w.template,
    preset: w.preset,
    owner: w.owner,
    state: w.state,
    dormant: w.dormantAt !== null,
    deadline: instant(w.deadline),
    last_used_at: instant(w.lastUsedAt),
    stopped_at: instant(w.stoppedAt),
    auto_destroy_at: instant(w.autoDestroyAt),
    auto_destroy_inactivity: duration(w.autoDestroyInactivityMs),
    attributes: w.attributes,
    claimed_at: instant(w.claimedAt),
    created_at: instant(w.createdAt),
    archived_at: instant(w.archivedAt),
    error: w.error,
    destroy_reason: w.destroyReason,
    lifecycle_policy: lifecyclePolicyJson(w.policy),
  };
}

/** An instant with its distance from `now`, or `-`. */
function when(ms: number | null, now: number): string {
  if (ms === null) return '-';
  return `${instant(ms)} (${relative(ms, now)})`;
}

function stateWord(w: WorkspaceRecord): string {
  const parts: string[] = [w.state];
  if (w.dormantAt !== null) parts.push('dormant');
  return parts.join(', ');
}

function policyLine(p: LifecyclePolicy): string {
  const set = LIFECYCLE_POLICY_ATTRS.filter((a) => p[POLICY_KEY[a]] !== null).map((a) => `${a}=${duration(p[POLICY_KEY[a]])}`);
  return set.length === 0 ? 'none' : set.join(', ');
}

/** `now` is the CLI's clock: only the relative hints depend on it. */
export function workspaceText(w: WorkspaceRecord, now: number): string {
  const rows: Array<[string, string]> = [
    ['preset', t(w.presetId)],
    ['owner', t(w.owner)],
    ['state', t(stateWord(w))],
    ['claimed', when(w.claimedAt, now)],
    ['last used', when(w.lastUsedAt, now)],
    ['deadline', when(w.deadline, now)],
    ['stopped', when(w.stoppedAt, now)],
    ['auto-destroy at', w.autoDestroyAt === null ? 'none' : when(w.autoDestroyAt, now)],
    ['auto-destroy after', w.autoDestroyInactivityMs === null ? 'none' : `${duration(w.autoDestroyInactivityMs)} without activity`],
    ['policy', policyLine(w.policy)],
  ];
  if (w.dormantAt !== null) rows.push(['dormant since', when(w.dormantAt, now)]);
  if (w.destroyReason !== null) rows.push(['destroy reason', t(w.destroyReason)]);
  if (w.deleteAttempts > 0) rows.push(['delete attempts', String(w.deleteAttempts)]);
  if (w.nextAttemptAt !== null) rows.push(['next attempt', when(w.nextAttemptAt, now)]);
  if (w.archivedAt !== null) rows.push(['archived', when(w.archivedAt, now)]);
  if (w.error) rows.push(['error', t(w.error)]);
  const width = Math.max(...rows.map(([k]) => k.length)) + 1;
  const keys = Object.keys(w.attributes).sort();
  return [
    `Workspace ${t(w.id)} (${t(w.name)})`,
    ...rows.map(([k, v]) => `  ${`${k}:`.padEnd(width)}  ${v}`),
    '  attributes:',
    ...(keys.length === 0 ? ['    (none)'] : keys.map((k) => `    ${t(k)} = ${t(w.attributes[k])}`)),
  ].join('\n') + '\n';
}

export function workspaceListText(list: WorkspaceRecord[], now: number): string {
  if (list.length === 0) return 'No workspaces.\n';
  return table(
    ['ID', 'NAME', 'PRESET', 'OWNER', 'STATE', 'LAST USED', 'DEADLINE', 'AUTO-DESTROY'],
    list.map((w) => [
      w.id,
      w.name,
      w.presetId,
      w.owner,
      stateWord(w),
      w.lastUsedAt === null ? '-' : relative(w.lastUsedAt, now),
      w.deadline === null ? '-' : relative(w.deadline, now),
      autoDestroySummary(w, now),
    ]),
  );
}

function autoDestroySummary(w: WorkspaceRecord, now: number): string {
  const parts: string[] = [];
  if (w.autoDestroyAt !== null) parts.push(relative(w.autoDestroyAt, now));
  if (w.autoDestroyInactivityMs !== null) parts.push(`after ${duration(w.autoDestroyInactivityMs)} idle`);
  return parts.length === 0 ? '-' : parts.join('; ');
}

/** `prewarm claim`: what was handed out, and the workspace it now is. */
export function claimText(w: WorkspaceRecord, now: number): string {
  const note =
    w.state === 'claimed' || w.state === 'ready'
      ? ''
      : `\nNo ready instance was in the pool; a fresh one is being built (state ${t(w.state)}). Check it with: prewarm workspace get ${t(w.id)}`;
  return `Claimed ${t(w.id)} (${t(w.name)}) from ${t(w.presetId)} for ${t(w.owner)}.${note}\n` + workspaceText(w, now);
}

/**
 * `prewarm claim --json`: the Workspace JSON, plus the instance fields claim printed before workspaces existed
 * (preset_id, template_version, ready_at), so scripts written against it keep working.
 */
export function claimJson(w: WorkspaceRecord) {
  return { ...workspaceJson(w), preset_id: w.presetId, template_version: w.templateVersion, ready_at: instant(w.readyAt) };
}

/** The one-line settings summary `workspace set` prints. */
export function settingsText(w: WorkspaceRecord, now: number): string {
  return (
    `Workspace ${t(w.name)} (${t(w.id)}): auto-destroy at ${w.autoDestroyAt === null ? 'none' : when(w.autoDestroyAt, now)}; ` +
    `after inactivity ${w.autoDestroyInactivityMs === null ? 'none' : duration(w.autoDestroyInactivityMs)}.\n`
  );
}

// ---------------------------------------------------------------------------------------------------------------
// Explain

function ruleJson(r: RuleOutlook) {
  return { rule: r.rule, action: r.action, at: instant(r.at), detail: r.detail };
}

/** `workspace explain --json`. */
export function workspaceExplainJson(r: WorkspaceExplainReport) {
  return {
    at: instant(r.outlook.at),
    workspace: workspaceJson(r.workspace),
    next: r.outlook.next === null ? null : ruleJson(r.outlook.next),
    rules: r.outlook.rules.map(ruleJson),
  };
}

function ruleWhen(r: RuleOutlook, at: number): string {
  if (r.at === null) return '-';
  return r.at <= at ? `due, ${relative(r.at, at)}` : relative(r.at, at);
}

/** One row per rule, then the line that says what the next tick does (or, when nothing is due, what comes first). */
export function workspaceExplainText(r: WorkspaceExplainReport): string {
  const { outlook, workspace: w } = r;
  const head = `Workspace ${t(w.name)} (${t(w.id)}), ${t(stateWord(w))}, evaluated at ${instant(outlook.at)}\n\n`;
  const rows =
    outlook.rules.length === 0
      ? 'No lifecycle rules apply.\n'
      : table(
          ['RULE', 'ACTION', 'AT', 'WHEN', 'DETAIL'],
          outlook.rules.map((x) => [x.rule, x.action, instant(x.at) ?? '-', ruleWhen(x, outlook.at), x.detail]),
        );
  return head + rows + '\n' + nextLine(r) + '\n';
}

function nextLine({ outlook }: WorkspaceExplainReport): string {
  if (outlook.next !== null) {
    const n = outlook.next;
    return `next: ${t(n.action)} by ${t(n.rule)}${n.at === null ? '' : ` at ${instant(n.at)} (${ruleWhen(n, outlook.at)})`}, on the next lifecycle tick`;
  }
  const upcoming = outlook.rules
    .filter((x): x is RuleOutlook & { at: number } => x.at !== null && x.at > outlook.at)
    .sort((a, b) => a.at - b.at)[0];
  if (upcoming === undefined) return 'next: nothing is due and nothing is scheduled';
  return `next: nothing is due now; first: ${t(upcoming.action)} by ${t(upcoming.rule)} at ${instant(upcoming.at)} (${relative(upcoming.at, outlook.at)})`;
}
