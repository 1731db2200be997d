/**
 * The live view of `prewarm status --watch`, `prewarm controller --watch` and `npm start`.
 *
 * On a terminal it is a table redrawn in place (colour and a legend; NO_COLOR or TERM=dumb turn colour off):
 * per preset desired / ready / starting / claimed and the state that matters, then the last driver events.
 * Anywhere else (a pipe, a log file, CI) it appends plain lines: a line for a preset when its numbers or state
 * change, and a line per new event, so the output reads as a log.
 */
import type { ExplainPreset, StatusReport } from '../api/service';
import type { NotificationEntry } from '../domain/notification-target';
import { describeNotification } from '../domain/notification-text';
import type { PoolEvent } from '../domain/records';
import { escapeText as printable } from '../domain/text';
import { type PresetCondition, presetState } from './preset-state';
import { replicaLine } from './replica-state';

export interface LiveOutput {
  write(text: string): void;
}

export interface LiveViewMode {
  /** Redraw in place (a terminal) or append lines (anything else). */
  tty: boolean;
  color: boolean;
  /** The terminal's size: a frame is clipped to it, because a wrapped or scrolled line breaks the redraw. */
  columns?: number;
  rows?: number;
}

/** What a stream and an environment allow: redraw on a TTY, colour unless NO_COLOR (any value) or TERM=dumb. */
export function liveViewMode(stream: { isTTY?: boolean; columns?: number; rows?: number }, env: NodeJS.ProcessEnv): LiveViewMode {
  const tty = stream.isTTY === true;
  const noColor = env.NO_COLOR !== undefined || env.TERM === 'dumb';
  return { tty, color: tty && !noColor, columns: stream.columns, rows: stream.rows };
}

/** The recent notifications a controller's own view shows (the API's status report does not carry them). */
export interface LiveNotifications {
  /** Oldest first. */
  entries: NotificationEntry[];
  /** Enabled webhook targets: with none, this view is the only place notifications show up. */
  targets: number;
}

export type LiveReport = StatusReport & { notifications?: LiveNotifications };

/** How many events the terminal view keeps on screen. */
const EVENTS_SHOWN = 6;
/** …and how many notifications. */
const NOTIFICATIONS_SHOWN = 4;
/** A notification sentence is cut here in the terminal frame (the line is clipped to the width anyway). */
const NOTIFICATION_CHARS = 200;

const ESC = '\u001b[';
const paint = {
  green: (s: string) => `${ESC}32m${s}${ESC}39m`,
  yellow: (s: string) => `${ESC}33m${s}${ESC}39m`,
  red: (s: string) => `${ESC}31m${s}${ESC}39m`,
  dim: (s: string) => `${ESC}2m${s}${ESC}22m`,
  bold: (s: string) => `${ESC}1m${s}${ESC}22m`,
};
const CONDITION_PAINT: Record<PresetCondition, (s: string) => string> = {
  healthy: paint.green,
  backing_off: paint.yellow,
  hard_limited: paint.red,
  validation_failed: paint.red,
};

/** A frame line as shown (with colour) and as measured (without). */
interface FrameLine {
  shown: string;
  plain: string;
}

export class LiveView {
  private frameLines = 0;
  private lastFrame = '';
  private readonly presetLines = new Map<string, string>();
  private seenEvents = new Set<string>();
  /** The replicas line last appended; null until two replicas were alive at once. */
  private lastReplicaLine: string | null = null;
  private lastNotificationId = 0;
  private first = true;

  constructor(
    private readonly out: LiveOutput,
    private readonly mode: LiveViewMode,
  ) {}

  update(report: LiveReport): void {
    if (this.mode.tty) this.redraw(report);
    else this.append(report);
  }

  /**
   * Text that must not be lost under the frame (a log line): on a terminal it is written where the frame was and
   * the frame is drawn again below it; elsewhere it is simply written.
   */
  interject(text: string): void {
    if (!this.mode.tty || this.frameLines === 0) {
      this.out.write(text);
      return;
    }
    this.out.write(`${ESC}${this.frameLines}F${ESC}J${text.endsWith('\n') ? text : `${text}\n`}${this.lastFrame}`);
  }

  /** Leaves the terminal as it was: the last frame stays, the cursor goes below it. */
  close(): void {
    if (this.mode.tty && this.frameLines > 0) this.out.write(`${ESC}?25h`);
    this.frameLines = 0;
  }

  private redraw(report: LiveReport): void {
    const lines = this.fit(this.frame(report));
    const up = this.frameLines > 0 ? `${ESC}${this.frameLines}F${ESC}J` : `${ESC}?25l`;
    this.lastFrame = lines.join('\n') + '\n';
    this.out.write(up + this.lastFrame);
    this.frameLines = lines.length;
  }

  /**
   * One screen row per line, and no more rows than the terminal has: moving up by the line count is then exact.
   * A line too wide is cut (and loses its colour, which cannot be cut safely); a frame too tall ends in a note.
   */
  private fit(frame: FrameLine[]): string[] {
    // A pseudo-terminal nobody sized (a CI job under script(1)) reports 0: that is "unknown", not "zero wide".
    const columns = this.mode.columns ? this.mode.columns : Infinity;
    const rows = this.mode.rows ? this.mode.rows : Infinity;
    let lines = frame;
    if (lines.length > rows - 1 && rows > 2) {
      const hidden = lines.length - (rows - 2);
      lines = [...lines.slice(0, rows - 2), plainLine(`… ${hidden} more lines (a taller terminal shows them)`)];
    }
    return lines.map((l) => {
      const chars = [...l.plain];
      return chars.length < columns ? l.shown : `${chars.slice(0, Math.max(1, columns - 2)).join('')}…`;
    });
  }

  private frame(report: LiveReport): FrameLine[] {
    const c = this.mode.color ? paint : undefined;
    const time = report.at.slice(11, 19);
    const head = `prewarm  ${time} UTC  ${report.paused ? 'PAUSED globally' : 'running'}  driver operations ${report.inFlight}/${report.inFlightLimit}`;
    const header = ['PRESET', 'DESIRED', 'READY', 'STARTING', 'CLAIMED', 'STATE'];
    const rows = report.presets.map((p) => this.cells(p, report.at));
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].text.length)));
    const line = (cells: Array<{ text: string; style?: (s: string) => string }>) =>
      cells
        .map((cell, i) => {
          const padded = i === cells.length - 1 ? cell.text : cell.text.padEnd(widths[i]);
          return c && cell.style ? cell.style(padded) : padded;
        })
        .join('  ');
    const plainRow = (cells: Array<{ text: string }>) => cells.map((cell, i) => (i === cells.length - 1 ? cell.text : cell.text.padEnd(widths[i]))).join('  ');
    const styled = (text: string, style?: (s: string) => string): FrameLine => ({ shown: c && style ? style(text) : text, plain: text });
    const out: FrameLine[] = [styled(head, c?.bold)];
    // Several controller replicas: one line with who leads (none with one controller, so its view stays as it was).
    const replicas = replicaLine(report.replicas);
    if (replicas !== null) out.push(plainLine(printable(replicas)));
    out.push(plainLine(''));
    const headerCells = header.map((text) => ({ text, style: c?.dim }));
    out.push({ shown: line(headerCells), plain: plainRow(headerCells) });
    if (rows.length === 0) out.push(plainLine('(no presets yet)'));
    for (const r of rows) out.push({ shown: line(r), plain: plainRow(r) });
    out.push(plainLine(''));
    const events = report.events.slice(0, EVENTS_SHOWN).reverse();
    out.push(styled('Recent events', c?.dim));
    if (events.length === 0) out.push(plainLine('  (none yet)'));
    for (const e of events) out.push({ shown: `  ${this.eventLine(e, true)}`, plain: `  ${this.eventLine(e, false)}` });
    out.push(plainLine(''));
    if (report.notifications) {
      const n = report.notifications;
      out.push(styled(n.targets === 0 ? 'Notifications (no webhook target configured: shown here only)' : `Notifications (sent to ${n.targets} webhook target${n.targets === 1 ? '' : 's'})`, c?.dim));
      const recent = n.entries.slice(-NOTIFICATIONS_SHOWN);
      if (recent.length === 0) out.push(plainLine('  (none yet)'));
      for (const e of recent) out.push(plainLine(`  ${clock(e.createdAt)}  ${notificationText(e)}`));
      out.push(plainLine(''));
    }
    out.push(styled('READY: claimable now · STARTING: being built · CLAIMED: handed out · Ctrl-C to stop', c?.dim));
    return out;
  }

  private cells(p: ExplainPreset, at: string): Array<{ text: string; style?: (s: string) => string }> {
    const state = presetState(p, at);
    const readyStyle = p.ready >= p.desired ? paint.green : paint.yellow;
    return [
      { text: printable(`${p.template}/${p.preset}`) },
      { text: String(p.desired) },
      { text: String(p.ready), style: readyStyle },
      { text: String(p.starting), style: p.starting > 0 ? paint.yellow : undefined },
      { text: String(p.claimed) },
      { text: printable(state.text), style: state.paused ? paint.dim : CONDITION_PAINT[state.condition] },
    ];
  }

  private append(report: LiveReport): void {
    const time = report.at.slice(11, 19);
    const out: string[] = [];
    if (this.first && report.paused) out.push(`${time}  the controller is paused globally: no actions run`);
    // A line when the replicas change (one comes or goes, another takes over), once two have been alive at once:
    // nothing with one controller.
    const replicas = replicaLine(report.replicas, this.lastReplicaLine !== null);
    if (replicas !== null && replicas !== this.lastReplicaLine) {
      out.push(`${time}  ${printable(replicas)}`);
      this.lastReplicaLine = replicas;
    }
    for (const e of report.notifications?.entries ?? []) {
      if (e.id <= this.lastNotificationId) continue;
      this.lastNotificationId = e.id;
      // Notifications written before this view started are history, not news.
      if (!this.first) out.push(`${clock(e.createdAt)}  notify  ${notificationText(e)}`);
    }
    const seen = new Set<string>();
    for (const e of [...report.events].reverse()) {
      const key = eventKey(e);
      seen.add(key);
      if (!this.seenEvents.has(key)) out.push(`${new Date(e.at).toISOString().slice(11, 19)}  ${this.eventLine(e, false)}`);
    }
    const live = new Set<string>();
    for (const p of report.presets) {
      const id = `${p.template}/${p.preset}`;
      live.add(id);
      const text = `desired ${p.desired}  ready ${p.ready}  starting ${p.starting}  claimed ${p.claimed}  ${presetState(p, report.at).text}`;
      if (this.presetLines.get(id) === text) continue;
      this.presetLines.set(id, text);
      out.push(`${time}  ${printable(id)}  ${printable(text)}`);
    }
    for (const id of [...this.presetLines.keys()]) {
      if (live.has(id)) continue;
      this.presetLines.delete(id);
      out.push(`${time}  ${printable(id)}  gone`);
    }
    // Only the keys still in the report are kept: the set stays as small as the report's event list.
    this.seenEvents = seen;
    this.first = false;
    if (out.length > 0) this.out.write(out.join('\n') + '\n');
  }

  private eventLine(e: PoolEvent, colour: boolean): string {
    const c = colour && this.mode.color ? paint : undefined;
    const took = e.durationMs >= 1000 ? `${(e.durationMs / 1000).toFixed(1)}s` : `${e.durationMs}ms`;
    const what = EVENT_WORDS[e.op][e.ok ? 0 : 1];
    const word = c ? (e.ok ? c.green(what) : c.red(what)) : what;
    const subject = printable(`${e.presetId} ${e.instanceId.slice(0, 8)}`);
    if (e.ok) return `${word} ${subject} (${took})`;
    const why = printable([e.error, e.stderrTail].filter((s) => s !== '').join(' — '));
    return `${word} ${subject}: ${why.length > 160 ? `${why.slice(0, 160)}…` : why}`;
  }
}

const EVENT_WORDS: Record<PoolEvent['op'], [string, string]> = {
  create: ['build done', 'build failed'],
  delete: ['deleted', 'delete failed'],
  start: ['started', 'start failed'],
  stop: ['stopped', 'stop failed'],
};

function eventKey(e: PoolEvent): string {
  return `${e.at}:${e.instanceId}:${e.op}:${e.ok}`;
}

/** `event: sentence`, escaped and bounded. */
function notificationText(e: NotificationEntry): string {
  const text = printable(describeNotification(e.event, e.payload));
  return `${printable(e.event)}: ${text.length > NOTIFICATION_CHARS ? `${text.slice(0, NOTIFICATION_CHARS)}…` : text}`;
}

/** HH:MM:SS of an instant, UTC. */
function clock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 19);
}

function plainLine(text: string): FrameLine {
  return { shown: text, plain: text };
}
