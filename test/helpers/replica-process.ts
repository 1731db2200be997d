/**
 * Several real `prewarm controller` replicas on one PostgreSQL database, for the multi-replica tests: each runs from
 * source (bin/prewarm.ts through tsx, like test/helpers/prewarm-process.ts) on ports of its own, with the shared
 * PREWARM_TOKEN, PREWARM_SECRET_KEY and PREWARM_STATE_DIR of its group. Log lines are parsed as they arrive (a
 * replica serving a thousand claims logs a thousand lines; nothing re-parses them on every poll), and a wait for a
 * line is woken by the line itself.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { createClient, type PrewarmClient } from '../../controller/api/client';
import { exampleDrivers, repoRoot } from './controller';
import { prewarmBin } from './prewarm-process';
import { waitFor } from './wait';

export type LogLine = Record<string, unknown> & { msg?: string; time?: string };

/** Ports handed out by freePort in this process: a port just released is never handed out twice. */
const handedOut = new Set<number>();

/** A port free on 127.0.0.1 right now (bound to 0 and released), and not handed out before by this process. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const server = net.createServer();
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => {
        const { port: p } = server.address() as net.AddressInfo;
        server.close(() => resolve(p));
      });
    });
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/** What every replica of one group shares: the database, the token, the secret key, the driver state directory. */
export interface ReplicaGroupOptions {
  database: string;
  /** Default: examples/drivers. */
  driverDir?: string;
  /** `--lease-ttl`; default 2s. */
  leaseTtl?: string;
  reconcileInterval?: string;
  lifecycleInterval?: string;
  inFlightLimit?: number;
  /** Further flags for every replica. */
  args?: string[];
}

export interface Replica {
  /** The test's name for it ("a", "b", …); also in its environment as REPLICA_TAG (a test driver can report it). */
  name: string;
  child: ChildProcess;
  pid: number;
  apiPort: number;
  opsPort: number;
  /** The replica id it registered under (from its "controller started" line). */
  id: string;
  /** A gRPC client of its API (one per replica, closed by stop/kill). */
  client: PrewarmClient;
  /** True once it exited or was sent SIGKILL or SIGTERM (it may still be draining). */
  readonly gone: boolean;
  logs(): LogLine[];
  stderr(): string;
  /** Resolves with the first line (from index `from` on) whose msg matches; rejects if the process exits first. */
  waitForLog(msg: string | RegExp, timeoutMs?: number, from?: number): Promise<LogLine>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** prewarm_replica_leader from its /metrics (1 or 0). */
  leaderGauge(): Promise<number>;
  /** A counter or gauge value from its /metrics (0 when absent). */
  metric(name: string, labels?: string): Promise<number>;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM and wait for the exit. */
  stop(): Promise<void>;
}

const msgMatches = (m: unknown, want: string | RegExp) => typeof m === 'string' && (typeof want === 'string' ? m.startsWith(want) : want.test(m));

export class ReplicaGroup {
  readonly token = `replica-test-${randomBytes(8).toString('hex')}`;
  readonly secretKey = randomBytes(32).toString('hex');
  readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-replicas-'));
  readonly stateDir = path.join(this.dir, 'state');
  readonly replicas: Replica[] = [];
  private pool: pg.Pool | undefined;

  constructor(readonly options: ReplicaGroupOptions) {
    fs.mkdirSync(this.stateDir);
  }

  /** Queries on the group's database (a small pool of the test's own, not a replica's). */
  get db(): pg.Pool {
    if (!this.pool) {
      this.pool = new pg.Pool({ connectionString: this.options.database, max: 3 });
      this.pool.on('error', () => undefined);
    }
    return this.pool;
  }

  async query<T extends pg.QueryResultRow = Record<string, unknown>>(text: string, params: unknown[] = []): Promise<T[]> {
    return (await this.db.query<T>(text, params)).rows;
  }

  /** Starts a replica and resolves once it has started (registered, tried once to lead, serving). */
  async start(name: string, extraEnv: NodeJS.ProcessEnv = {}): Promise<Replica> {
    const o = this.options;
    const [apiPort, opsPort] = [await freePort(), await freePort()];
    const args = [
      'controller',
      '--database',
      o.database,
      '--listen',
      `127.0.0.1:${apiPort}`,
      '--ops-listen',
      `127.0.0.1:${opsPort}`,
      '--driver-dir',
      o.driverDir ?? exampleDrivers,
      '--lease-ttl',
      o.leaseTtl ?? '2s',
      '--reconcile-interval',
      o.reconcileInterval ?? '500ms',
      '--lifecycle-interval',
      o.lifecycleInterval ?? '500ms',
      '--in-flight-limit',
      String(o.inFlightLimit ?? 8),
      '--backoff-base',
      '200ms',
      '--backoff-cap',
      '1s',
      '--drain-timeout',
      '2s',
      '--log-level',
      'info',
      ...(o.args ?? []),
    ];
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PREWARM_TOKEN: this.token,
      PREWARM_SECRET_KEY: this.secretKey,
      PREWARM_STATE_DIR: this.stateDir,
      REPLICA_TAG: name,
      ...extraEnv,
    };
    delete env.PREWARM_DATABASE;
    const child = spawn(process.execPath, ['--import', 'tsx', prewarmBin, ...args], { cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'] });
    const lines: LogLine[] = [];
    let err = '';
    let partial = '';
    const waiters = new Set<() => void>();
    let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
      child.once('close', (code, signal) => {
        exit = { code, signal };
        resolve(exit);
        for (const w of waiters) w();
      }),
    );
    child.stdout!.resume();
    child.stderr!.setEncoding('utf8');
    child.stderr!.on('data', (d: string) => {
      err += d;
      partial += d;
      const parts = partial.split('\n');
      partial = parts.pop()!;
      for (const l of parts) {
        if (!l.startsWith('{')) continue;
        try {
          lines.push(JSON.parse(l) as LogLine);
        } catch {
          // not a log line
        }
      }
      for (const w of waiters) w();
    });
    const waitForLog = (msg: string | RegExp, timeoutMs = 20_000, from = 0) =>
      new Promise<LogLine>((resolve, reject) => {
        const check = () => {
          const found = lines.slice(from).find((l) => msgMatches(l.msg, msg));
          if (found) return done(() => resolve(found));
          if (exit) return done(() => reject(new Error(`replica ${name} exited (${exit!.code ?? exit!.signal}) before logging ${String(msg)}; stderr:\n${err.slice(-4000)}`)));
        };
        const timer = setTimeout(
          () => done(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for replica ${name} to log ${String(msg)}; stderr:\n${err.slice(-4000)}`))),
          timeoutMs,
        );
        const done = (f: () => void) => {
          clearTimeout(timer);
          waiters.delete(check);
          f();
        };
        waiters.add(check);
        check();
      });
    const started = await waitForLog('controller started', 60_000).catch((err: unknown) => {
      if (!exit) child.kill('SIGKILL');
      throw err;
    });
    const ops = `http://127.0.0.1:${opsPort}`;
    const metricsText = async () => (await fetch(`${ops}/metrics`)).text();
    const metric = async (metricName: string, labels = '') => {
      const text = await metricsText();
      const line = text.split('\n').find((l) => l.startsWith(`${metricName}${labels ? `{${labels}}` : ''} `));
      return line === undefined ? 0 : Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const client = createClient({ endpoint: `127.0.0.1:${apiPort}`, token: this.token });
    let ended = false;
    const replica: Replica = {
      name,
      child,
      pid: child.pid!,
      apiPort,
      opsPort,
      id: String(started.replica),
      client,
      get gone() {
        return ended || exit !== undefined;
      },
      logs: () => lines,
      stderr: () => err,
      waitForLog,
      exited,
      leaderGauge: () => metric('prewarm_replica_leader'),
      metric,
      signal(sig) {
        if (exit) return;
        if (sig === 'SIGKILL' || sig === 'SIGTERM') ended = true;
        try {
          process.kill(child.pid!, sig);
        } catch {
          // gone
        }
        if (sig === 'SIGKILL') client.close();
      },
      async stop() {
        ended = true;
        client.close();
        if (!exit) {
          // A paused replica must run to hear the SIGTERM.
          child.kill('SIGCONT');
          child.kill('SIGTERM');
        }
        await exited;
      },
    };
    this.replicas.push(replica);
    return replica;
  }

  /** The lease row: who leads under which generation (null holder: nobody). */
  async lease(): Promise<{ holder: string | null; generation: number; expires_at: number | null }> {
    const [row] = await this.query<{ holder: string | null; generation: string; expires_at: string | null }>(
      `select holder, generation, expires_at from leases where name = 'leader'`,
    );
    return { holder: row?.holder ?? null, generation: Number(row?.generation ?? 0), expires_at: row?.expires_at == null ? null : Number(row.expires_at) };
  }

  /** The live replica (of this group) that holds the lease and has said so, waiting until one does (and is not `not`). */
  async leader(opts: { not?: Replica; timeoutMs?: number } = {}): Promise<Replica> {
    return waitFor(
      'a leader',
      async () => {
        const lease = await this.lease();
        const r = this.replicas.find((x) => x.id === lease.holder);
        return r && !r.gone && r !== opts.not && r.logs().some((l) => msgMatches(l.msg, 'leading:') && Number(l.generation) === lease.generation) ? r : undefined;
      },
      opts.timeoutMs ?? 20_000,
      25,
    );
  }

  /**
   * True when the lease records its holder's lock session (leases.holder_session) and that session holds its advisory
   * lock: the precondition of a takeover before the lease runs out, should the holder's process die.
   */
  async holderSessionLocked(): Promise<boolean> {
    const rows = await this.query(
      `select 1 from leases s join pg_locks l on l.pid = s.holder_session
        where s.name = 'leader' and l.locktype = 'advisory' and l.granted
          and l.database = (select oid from pg_database where datname = current_database())`,
    );
    return rows.length > 0;
  }

  /** Kills every replica (SIGKILL; a stopped one too), closes the pool and removes the temp directory. */
  async close(): Promise<void> {
    for (const r of this.replicas) {
      r.client.close();
      r.signal('SIGKILL');
    }
    await Promise.all(this.replicas.map((r) => r.exited));
    await this.pool?.end().catch(() => undefined);
    this.pool = undefined;
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
