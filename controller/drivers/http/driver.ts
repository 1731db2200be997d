/**
 * The built-in `http` driver: a platform's HTTP API does the instance operations instead of an exec program.
 * Template: `driver = "http"`, `config = { url = "https://…", secret_ref = "<name>" }`.
 *
 * Request. The controller POSTs `JSON.stringify(wireRequest(req))` (exactly what an exec driver reads on stdin) to
 * `<url>/<op>` (url with its trailing slashes trimmed; op = create | delete | start | stop) with the headers
 *   Content-Type: application/json
 *   User-Agent: prewarm/<version>
 *   X-Prewarm-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>  (as notifications sign)
 *   Idempotency-Key: prewarm-<instance id>-<op>-<job id>   (the same for every attempt of the job, see below)
 *   X-Prewarm-Attempt: <attempt>
 *   X-Prewarm-Operation: <op>
 * The secret is the one `secret_ref` names (DriverSecrets: the --secrets-file, else PREWARM_SECRET_<NAME>).
 * Every attempt of a job, retries and re-drives after a crash alike, carries the same Idempotency-Key: a platform
 * answers a key it has seen with the answer it gave (or the operation it started), and should remember only final
 * answers, so a retry after a 5xx is tried again rather than replayed.
 *
 * Answer.
 *   2xx (200, 201, 204; any but 202) with an empty body or `{"attributes": {...}}`: ok; attributes follow exactly
 *     the exec driver's rules (flat; strings, numbers, booleans). A body that is not such JSON: retryable.
 *   202 Accepted with a Location header: a long operation. `GET <Location>` (resolved against the POST URL; it must
 *     stay on the same origin, else a permanent error) is polled, signed the same way over an empty body and with
 *     the same Idempotency-Key, every poll interval (default 2 s; a Retry-After of whole seconds is honoured up to
 *     60 s) until it answers something other than 202, which is then judged by these same rules. Connection errors,
 *     timeouts, 5xx, 408 and 429 while polling are retried at the poll interval. 202 without Location: retryable.
 *   422: permanent (the platform refuses the request as such); the message quotes the body's `error` or `message`.
 *   408, 429, 5xx, connection errors, timeouts: retryable.
 *   Other 4xx: retryable too, with the status in the message: 401, 403 and 404 are usually a wrong secret or URL,
 *     which an operator fixes without touching the template.
 *   3xx: never followed (a signed request goes only where config.url says): retryable.
 * Bounds: the whole operation (POST and polling) within the driver timeout (default 30 min, as exec drivers); each
 * request within the request timeout (default 30 s); at most 1 MiB of any answer read. A request that would reach
 * this controller's own ports is refused before it is sent. The run's stderr is a short log of each request and
 * its answer, at most 64 KiB.
 */
import { sleepOn, type Clock } from '../../clock/clock';
import { ValidationError, type FieldError } from '../../domain/errors';
import type { BuiltinDriver } from '../builtin';
import { DRIVER_OPS, wireRequest, type DriverOutcome, type DriverRequest } from '../exec';
import { formatBytes, formatDuration } from '../format';
import { parseAnswer } from '../output';
import { abortDetail, EX_CONFIG, killedBecause, type KillReason } from '../run-outcome';
import { SECRET_NAME, type DriverSecrets } from '../secrets';
import { operationUrl, parseHttpConfig } from './config';
import { exchange, type ExchangeResult } from '../../net/exchange';
import { isLocalAddress, isLoopbackHostname } from '../../net/local-address';
import { boundedText, USER_AGENT } from '../../net/outbound';
import { signPayload, SIGNATURE_HEADER } from '../../net/signature';
import { RunLog } from './run-log';

export interface HttpDriverOptions {
  secrets: DriverSecrets;
  clock: Clock;
  /** The ports this controller listens on; a request that would reach one of them on this machine is refused. */
  ownPorts: () => readonly number[];
  /** The whole operation, POST and polling; default 30 min. */
  timeoutMs?: number;
  /** Each single request; default 30 s. */
  requestTimeoutMs?: number;
  /** Between polls of a 202's Location, unless the answer says Retry-After; default 2 s. */
  pollIntervalMs?: number;
}

const DEFAULTS = { timeoutMs: 30 * 60 * 1000, requestTimeoutMs: 30_000, pollIntervalMs: 2000 };
/** Largest answer read: attributes may be bigger than a webhook answer, and this is the exec driver's stdout bound. */
export const MAX_ANSWER_BYTES = 1024 * 1024;
/** A Retry-After longer than this is cut to it, so a platform cannot park a job beyond what polling would. */
export const MAX_RETRY_AFTER_MS = 60_000;

type Verdict = { kind: 'ok'; attributes: Record<string, string> } | { kind: 'permanent' | 'retryable'; message: string };
type Answered = Extract<ExchangeResult, { kind: 'answered' }>;
type Failed = Extract<ExchangeResult, { kind: 'failed' }>;

/** What one run carries from request to request. */
interface RunContext {
  req: DriverRequest;
  label: string;
  log: RunLog;
  secret: string;
  post: URL;
  /** Aborted by the deadline, a kill or the caller's signal; `stopped()` says which. */
  signal: AbortSignal;
  stopped: () => KillReason | null;
}

export class HttpDriver implements BuiltinDriver {
  private readonly secrets: DriverSecrets;
  private readonly clock: Clock;
  private readonly ownPorts: () => readonly number[];
  private readonly timeoutMs: number;
  private readonly requestTimeoutMs: number;
  private readonly pollIntervalMs: number;
  private readonly live = new Set<(reason: KillReason) => void>();
  /** Set by killAll: a run asked for afterwards never sends anything. */
  private closed = false;

  constructor(opts: HttpDriverOptions) {
    this.secrets = opts.secrets;
    this.clock = opts.clock;
    this.ownPorts = opts.ownPorts;
    this.timeoutMs = opts.timeoutMs ?? DEFAULTS.timeoutMs;
    this.requestTimeoutMs = opts.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs;
    this.pollIntervalMs = opts.pollIntervalMs ?? DEFAULTS.pollIntervalMs;
  }

  get running(): number {
    return this.live.size;
  }

  killAll(): void {
    this.closed = true;
    this.killRunning();
  }

  killRunning(): void {
    for (const kill of [...this.live]) kill({ kind: 'shutdown' });
  }

  checkConfig(config: Readonly<Record<string, string>>): void {
    const parsed = parseHttpConfig(config);
    const errors: FieldError[] = parsed.ok ? [] : [...parsed.errors];
    if (parsed.ok) {
      const port = ownPortOf(parsed.config.base, this.ownPorts());
      if (port !== null) errors.push({ path: ['config', 'url'], message: `reaches this controller's own port ${port}; it must be the platform's API` });
    }
    const ref = Object.hasOwn(config, 'secret_ref') ? config['secret_ref'] : undefined;
    if (ref !== undefined && SECRET_NAME.test(ref)) {
      const found = this.secrets.lookup(ref);
      if (!found.ok) errors.push({ path: ['config', 'secret_ref'], message: `${found.reason}; to define it, ${this.secrets.sources(ref)}` });
    }
    if (errors.length > 0) throw new ValidationError(errors);
  }

  async run(req: DriverRequest, signal?: AbortSignal): Promise<DriverOutcome> {
    if (!DRIVER_OPS.includes(req.op)) throw new TypeError(`unknown driver op ${JSON.stringify(req.op)}`);
    const started = this.clock.now();
    const log = new RunLog(this.clock, started);
    const label = `driver "http" ${req.op}`;
    const end = (v: Verdict): DriverOutcome => {
      const base = { stderr: log.text(), durationMs: Math.max(0, this.clock.now() - started) };
      if (v.kind === 'ok') return { kind: 'ok', attributes: v.attributes, exitCode: 0, ...base };
      if (v.kind === 'permanent') return { kind: 'permanent', message: v.message, exitCode: EX_CONFIG, ...base };
      return { kind: 'retryable', message: v.message, exitCode: null, ...base };
    };

    if (this.closed) return end({ kind: 'retryable', message: `${label} was not started: the controller is shutting down` });
    if (signal?.aborted) return end({ kind: 'retryable', message: `${label} was aborted before it started (${abortDetail(signal)})` });
    const parsed = parseHttpConfig(req.config);
    // The config belongs to a template version and never changes: a bad one cannot start working by itself.
    if (!parsed.ok) return end({ kind: 'permanent', message: `${label} cannot run: ${new ValidationError(parsed.errors).message}` });
    const secret = this.secrets.lookup(parsed.config.secretRef);
    if (!secret.ok) return end({ kind: 'retryable', message: `${label} cannot run: ${secret.reason}` });
    if (secret.warning) log.line(`warning: ${secret.warning} (using the contents last read)`);

    const ac = new AbortController();
    let stop: KillReason | null = null;
    const kill = (reason: KillReason) => {
      if (stop) return;
      stop = reason;
      ac.abort();
    };
    const onAbort = () => kill({ kind: 'aborted', detail: abortDetail(signal!) });
    signal?.addEventListener('abort', onAbort, { once: true });
    const deadline = this.clock.setTimer(this.timeoutMs, () => kill({ kind: 'timeout' }));
    this.live.add(kill);
    try {
      const ctx: RunContext = {
        req,
        label,
        log,
        secret: secret.value,
        post: operationUrl(parsed.config.base, req.op),
        signal: ac.signal,
        stopped: () => stop,
      };
      return end(await this.operate(ctx));
    } finally {
      deadline.cancel();
      signal?.removeEventListener('abort', onAbort);
      this.live.delete(kill);
    }
  }

  /** The POST, then polling if it answered 202. */
  private async operate(c: RunContext): Promise<Verdict> {
    const body = JSON.stringify(wireRequest(c.req));
    const postWhere = `POST ${c.post.href}`;
    const first = await this.send(c, 'POST', c.post, body);
    if (first.kind === 'failed') return this.failure(c, postWhere, first);
    if (first.status !== 202) return judge(c.label, postWhere, first);

    const location = headerText(first.headers.location);
    if (location === undefined || location.trim() === '') {
      return { kind: 'retryable', message: `${c.label}: ${postWhere} answered HTTP 202 Accepted without a Location header, so there is nothing to poll` };
    }
    const poll = pollUrl(location, c.post);
    if (!poll.ok) return { kind: 'permanent', message: `${c.label}: ${postWhere} answered HTTP 202 Accepted with ${poll.problem}` };
    const where = `GET ${poll.url.href}`;
    let last = 'HTTP 202';
    let wait = this.waitAfter(first);
    for (;;) {
      await sleepOn(this.clock, wait, c.signal);
      if (c.stopped()) return this.stopped(c, `while polling ${poll.url.href} (last answer: ${last})`);
      const r = await this.send(c, 'GET', poll.url);
      if (r.kind === 'failed') {
        if (r.why === 'aborted' || r.why === 'refused') return this.failure(c, where, r);
        // The operation runs on the platform whatever happened to one poll: ask again until the deadline.
        last = r.why === 'timeout' ? `no answer within ${formatDuration(this.requestTimeoutMs)}` : r.error;
        wait = this.pollIntervalMs;
        continue;
      }
      if (r.status === 202 || transientStatus(r.status)) {
        last = `HTTP ${r.status}`;
        wait = this.waitAfter(r);
        continue;
      }
      return judge(c.label, where, r);
    }
  }

  /** One request, signed, with its line in the run log. */
  private async send(c: RunContext, method: 'POST' | 'GET', url: URL, body?: string): Promise<ExchangeResult> {
    const sentAt = this.clock.now();
    const headers: Record<string, string> = {
      ...(method === 'POST' ? { 'Content-Type': 'application/json' } : {}),
      Accept: 'application/json',
      'User-Agent': USER_AGENT,
      // Polls sign an empty body, so a platform verifies every request the same way.
      [SIGNATURE_HEADER]: signPayload(c.secret, body ?? '', Math.floor(sentAt / 1000)),
      'Idempotency-Key': idempotencyKey(c.req),
      'X-Prewarm-Attempt': String(c.req.attempt),
      'X-Prewarm-Operation': c.req.op,
    };
    const r = await exchange({
      method,
      url,
      headers,
      ...(body !== undefined ? { body } : {}),
      timeoutMs: this.requestTimeoutMs,
      clock: this.clock,
      ownPorts: this.ownPorts,
      signal: c.signal,
      maxBodyBytes: MAX_ANSWER_BYTES,
    });
    const took = formatDuration(Math.max(0, this.clock.now() - sentAt));
    if (r.kind === 'answered') {
      const more = r.overflowed ? `, more than ${formatBytes(MAX_ANSWER_BYTES)}` : '';
      const retry = r.status === 202 || transientStatus(r.status) ? retryAfterText(r) : '';
      c.log.line(`${method} ${url.href} -> HTTP ${r.status} (${took}${more})${retry}`);
    } else {
      const why = r.why === 'timeout' ? `no answer within ${formatDuration(this.requestTimeoutMs)}` : r.why === 'aborted' ? this.stopWords(c) : r.error;
      c.log.line(`${method} ${url.href} -> ${why} (${took})`);
    }
    return r;
  }

  private failure(c: RunContext, where: string, r: Failed): Verdict {
    switch (r.why) {
      case 'aborted':
        return this.stopped(c, `while waiting for ${where}`);
      case 'timeout':
        return { kind: 'retryable', message: `${c.label}: ${where} had no answer within ${formatDuration(this.requestTimeoutMs)}` };
      case 'refused':
        return { kind: 'retryable', message: `${c.label} cannot run: ${r.error}` };
      case 'network':
        return { kind: 'retryable', message: `${c.label}: ${where} failed: ${r.error}` };
    }
  }

  private stopped(c: RunContext, context: string): Verdict {
    return { kind: 'retryable', message: `${c.label} ${this.stopWords(c)} ${context}` };
  }

  /** Why the run was stopped; a request is aborted only once that is known. */
  private stopWords(c: RunContext): string {
    const reason = c.stopped();
    return reason ? killedBecause(reason, this.timeoutMs) : 'was aborted';
  }

  /** The wait before the next poll: the answer's Retry-After (whole seconds, at most a minute) or the interval. */
  private waitAfter(r: Answered): number {
    const seconds = retryAfterSeconds(r);
    return seconds === null ? this.pollIntervalMs : Math.min(seconds * 1000, MAX_RETRY_AFTER_MS);
  }
}

export function createHttpDriver(opts: HttpDriverOptions): HttpDriver {
  return new HttpDriver(opts);
}

/** Statuses that say "not now" rather than "no": a poll that gets one asks again. */
function transientStatus(status: number): boolean {
  return status >= 500 || status === 408 || status === 429;
}

function headerText(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v;
}

/** Retry-After as whole seconds (1 or more); the HTTP-date form and 0 fall back to the poll interval. */
function retryAfterSeconds(r: Answered): number | null {
  const v = headerText(r.headers['retry-after'])?.trim();
  if (v === undefined || !/^\d{1,9}$/.test(v)) return null;
  const n = Number(v);
  return n >= 1 ? n : null;
}

function retryAfterText(r: Answered): string {
  const s = retryAfterSeconds(r);
  return s === null ? '' : ` Retry-After: ${s}s`;
}

/** Where a 202's Location points, if it is a URL polls may go to. */
function pollUrl(location: string, post: URL): { ok: true; url: URL } | { ok: false; problem: string } {
  let url: URL;
  try {
    url = new URL(location.trim(), post);
  } catch {
    return { ok: false, problem: `a Location header that is not a URL (${boundedText(location)})` };
  }
  // Polls are signed with the same secret: they must not carry it to any other server.
  if (url.origin !== post.origin) {
    return { ok: false, problem: `a Location header on another origin (${boundedText(url.origin)}); polls must stay on ${post.origin}, the origin of config.url` };
  }
  if (url.username !== '' || url.password !== '') return { ok: false, problem: 'a Location header with credentials (user:password@) in it' };
  url.hash = '';
  return { ok: true, url };
}

/** The final answer of an operation (the POST's, or the first poll answer that is not 202). */
function judge(label: string, where: string, r: Answered): Verdict {
  const s = r.status;
  const said = `${label}: ${where} answered HTTP ${s}`;
  if (s >= 200 && s < 300 && s !== 202) {
    if (r.overflowed) {
      return { kind: 'retryable', message: `${said} with more than ${formatBytes(MAX_ANSWER_BYTES)}; the answer must be one JSON object of at most ${formatBytes(MAX_ANSWER_BYTES)}` };
    }
    const answer = parseAnswer(r.body);
    if (!answer.ok) {
      return { kind: 'retryable', message: `${said} with ${boundedText(answer.reason, 300)} (first 200 bytes: ${boundedText(r.body.toString('utf8'), 200) || 'none'})` };
    }
    return { kind: 'ok', attributes: answer.attributes };
  }
  if (s >= 300 && s < 400) {
    const location = headerText(r.headers.location);
    const to = location ? ` to ${boundedText(location)}` : '';
    return { kind: 'retryable', message: `${said}, a redirect${to}: redirects are refused, since a signed request goes only where config.url says; point config.url at the final address` };
  }
  const detail = errorText(r.body);
  const withDetail = detail === '' ? said : `${said}: ${detail}`;
  if (s === 422) return { kind: 'permanent', message: `${said} (the platform refused the request as invalid)${detail === '' ? '' : `: ${detail}`}` };
  if (s === 401 || s === 403) return { kind: 'retryable', message: `${withDetail} (is config.secret_ref the secret the platform verifies with?)` };
  if (s === 404 || s === 405) return { kind: 'retryable', message: `${withDetail} (is config.url the platform's prewarm API?)` };
  return { kind: 'retryable', message: withDetail };
}

/** An error answer in a line: its JSON `error` (or `error.message`) or `message` field if it has one, else its text. */
function errorText(body: Buffer): string {
  const text = body.toString('utf8');
  try {
    const doc: unknown = JSON.parse(text);
    if (typeof doc === 'object' && doc !== null && !Array.isArray(doc)) {
      const o = doc as Record<string, unknown>;
      const e = o['error'];
      if (typeof e === 'string') return boundedText(e);
      if (typeof e === 'object' && e !== null && typeof (e as Record<string, unknown>)['message'] === 'string') {
        return boundedText((e as Record<string, string>)['message']!);
      }
      if (typeof o['message'] === 'string') return boundedText(o['message']);
    }
  } catch {
    // Not JSON: the text itself says what went wrong.
  }
  return boundedText(text);
}

/** A loopback (or this machine's) host on one of the controller's own ports: the port, else null. */
function ownPortOf(url: URL, ports: readonly number[]): number | null {
  const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
  if (!ports.includes(port)) return null;
  return isLoopbackHostname(url.hostname) || isLocalAddress(url.hostname) ? port : null;
}

/**
 * The same on every try of one job, re-drives after a crash included (the attempt counts starts, so it cannot be part
 * of it). The instance id and operation make it unique beyond this database: job ids restart with a new database,
 * and several controllers may share one platform.
 */
export function idempotencyKey(req: Pick<DriverRequest, 'instance' | 'op' | 'jobId'>): string {
  return `prewarm-${req.instance.id}-${req.op}-${req.jobId}`;
}
