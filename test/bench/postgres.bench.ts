/**
 * The PostgreSQL store, on a throwaway cluster of its own (test/helpers/postgres.ts startCluster(), stopped at the
 * end, on failure too):
 *   1. the no-op reconcile cycle over 10,000 presets / 100,000 instances, measured as the SQLite reconcile bench
 *      measures it (the same Reconciler, after one warm-up cycle that loads the mirror), and the first cycle of a
 *      fresh store (the full load a new leader does), each against a bare read of the same rows in the same run;
 *   2. claim latency with 32 concurrent clients spread over two real `prewarm controller` replicas (their own
 *      processes, the gRPC API, the SQLite claim bench's client process), double claims checked in the database,
 *      against the same clients on a stub service and on one SQLite controller, both in this run; once as the test
 *      cluster runs (commits not flushed) and once with fsync and synchronous_commit on, as a production server runs;
 *   3. takeover time: from SIGKILL of the leader replica to the other logging "leading" (the lease is far longer:
 *      the session-lock fast path), and from SIGSTOP (the lease has to run out).
 * Without PostgreSQL's server binaries the suite reports itself skipped, with the reason.
 * PREWARM_BENCH_PG_QUICK=1 runs it at small sizes (for working on the bench itself).
 */
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import pg from 'pg';
import { createClient } from '../../controller/api/client';
import { parseDuration } from '../../controller/domain/duration';
import { openStore, type Store } from '../../controller/store/store';
import { FakeClock } from '../helpers/fake-clock';
import { exampleDrivers } from '../helpers/controller';
import { createTestDatabase, PG_ADMIN_URL_ENV, pgUnavailableReason, startCluster } from '../helpers/postgres';
import { type PrewarmProcess, spawnPrewarm } from '../helpers/prewarm-process';
import { freePort } from '../helpers/replica-process';
import { waitFor } from '../helpers/wait';
import { benchClaims, runClients, transportOnly } from './claim.bench';
import { type Figure, median, percentile, timeRuns, withRatio } from './figures';
import { bareReadSql, noopCycleTimer, noopReconciler } from './reconcile.bench';
import { seedSteadyStatePostgres } from './seed';
import { benchZones } from './zones';

/** A suite that cannot run here says why instead of returning figures. */
export interface Skipped {
  skipped: string;
}

export interface PostgresBenchOptions {
  presets: number;
  instancesPerPreset: number;
  /** Measured no-op cycles and bare reads. */
  runs: number;
  /** Measured cold (full-load) cycles, each on a fresh store. */
  coldRuns: number;
  clients: number;
  claimsPerClient: number;
  /** SIGKILL takeovers, and the lease TTL they run with. */
  kills: number;
  killLeaseTtl: string;
  /** SIGSTOP takeovers (0: none), and the lease TTL they run with. */
  stops: number;
  stopLeaseTtl: string;
}

const fullSize: PostgresBenchOptions = {
  presets: 10_000,
  instancesPerPreset: 10,
  runs: 7,
  coldRuns: 3,
  clients: 32,
  claimsPerClient: 100,
  kills: 5,
  killLeaseTtl: '15s',
  stops: 3,
  stopLeaseTtl: '3s',
};
const quick: PostgresBenchOptions = { ...fullSize, presets: 500, runs: 3, coldRuns: 2, claimsPerClient: 10, kills: 2, stops: 1 };

export async function benchPostgres(over: Partial<PostgresBenchOptions> = {}): Promise<Figure[] | Skipped> {
  const reason = pgUnavailableReason();
  if (reason) return { skipped: `no PostgreSQL server to run it on: ${reason}` };
  const o = { ...(process.env.PREWARM_BENCH_PG_QUICK === '1' ? quick : fullSize), ...over };
  const cluster = await startCluster();
  // createTestDatabase() takes its databases from the cluster this variable names.
  const previousAdminUrl = process.env[PG_ADMIN_URL_ENV];
  process.env[PG_ADMIN_URL_ENV] = cluster.adminUrl;
  try {
    return [...(await reconcileFigures(o)), ...(await claimFigures(o, cluster.adminUrl)), ...(await takeoverFigures(o))];
  } finally {
    if (previousAdminUrl === undefined) delete process.env[PG_ADMIN_URL_ENV];
    else process.env[PG_ADMIN_URL_ENV] = previousAdminUrl;
    await cluster.stop();
  }
}

async function reconcileFigures(o: PostgresBenchOptions): Promise<Figure[]> {
  const db = await createTestDatabase('bench_reconcile');
  const now = Date.parse('2026-11-23T10:00:00Z');
  const shape = `${o.presets.toLocaleString('en-US')} presets, ${(o.presets * o.instancesPerPreset).toLocaleString('en-US')} instances, PostgreSQL`;
  try {
    const seedStarted = performance.now();
    await seedSteadyStatePostgres(db.url, { presets: o.presets, instancesPerPreset: o.instancesPerPreset, zones: benchZones, now });
    const seedMs = performance.now() - seedStarted;
    const clock = new FakeClock(now);

    const store = await openStore(db.url, { clock });
    let cycle: number[];
    try {
      cycle = await noopCycleTimer(store, clock, o.runs)('the steady state on PostgreSQL');
    } finally {
      await store.close();
    }

    // A new leader's first cycle: a fresh store whose mirror is empty reads every live row.
    const stores: Store[] = [];
    let coldActions = 0;
    const cold = await timeRuns(
      o.coldRuns,
      async (fresh: Store) => {
        const r = await noopReconciler(fresh, clock).tick();
        coldActions += r ? r.executed.length : 1;
      },
      1,
      async () => {
        const fresh = await openStore(db.url, { clock });
        stores.push(fresh);
        return fresh;
      },
    ).finally(() => Promise.all(stores.map((s) => s.close())));
    if (coldActions !== 0) throw new Error(`a cold cycle over the steady state on PostgreSQL produced ${coldActions} actions`);

    // The bare read: the same statements as the SQLite baseline, in one repeatable-read transaction, through pg.
    const pool = new pg.Pool({ connectionString: db.url, max: 1 });
    let bare: number[];
    try {
      bare = await timeRuns(o.runs, async () => {
        const client = await pool.connect();
        try {
          await client.query('begin isolation level repeatable read read only');
          for (const text of bareReadSql) await client.query(text);
          await client.query('commit');
        } finally {
          client.release();
        }
      });
    } finally {
      await pool.end();
    }
    const baseline = { name: 'bare read of the same rows (pg, one repeatable-read transaction)', value: round1(median(bare)) };
    return [
      withRatio({
        name: `reconcile no-op cycle (${shape})`,
        value: round1(median(cycle)),
        unit: 'ms',
        baseline,
        goal: '<= 1.5x and <= 1000 ms',
        runs: o.runs,
        note: `seeded in ${(seedMs / 1000).toFixed(1)} s`,
      }),
      withRatio({
        name: `reconcile first cycle of a fresh store, full load (${shape})`,
        value: round1(median(cold)),
        unit: 'ms',
        baseline,
        goal: '<= 1.5x',
        runs: o.coldRuns,
      }),
    ];
  } finally {
    await db.drop();
  }
}

interface ClaimRun {
  latencies: number[];
  wallMs: number;
  /** Instances the clients got (warm-up claims included). */
  claimed: number;
  doubles: number;
  note: string;
}

async function claimFigures(o: PostgresBenchOptions, adminUrl: string): Promise<Figure[]> {
  const { clients, claimsPerClient } = o;
  const fast = await claimRun(o);
  // The same with every commit flushed to disk before it returns (fsync and synchronous_commit on, as a production
  // server runs; the test cluster runs without them).
  await durableCommits(adminUrl, true);
  const durable = await claimRun(o).finally(() => durableCommits(adminUrl, false));
  const transport = await transportOnly(clients, claimsPerClient);
  const sqlite = await benchClaims(clients, claimsPerClient);
  const stub = 'the same calls against a stub service (gRPC alone)';
  const what = `${clients} concurrent clients over 2 replica processes, gRPC, PostgreSQL`;
  const figures: Figure[] = [];
  for (const [run, how] of [
    [fast, 'commits not flushed (fsync off)'],
    [durable, 'durable commits (fsync, synchronous_commit on)'],
  ] as const) {
    figures.push(
      withRatio({
        name: `claim latency p50 (${what}, ${how})`,
        value: round2(percentile(run.latencies, 50)),
        unit: 'ms',
        baseline: { name: stub, value: round2(percentile(transport, 50)) },
        runs: run.latencies.length,
        note: `one SQLite controller, same clients, this run: p50 ${sqlite[0].value} ms`,
      }),
      withRatio({
        name: `claim latency p99 (${what}, ${how})`,
        value: round2(percentile(run.latencies, 99)),
        unit: 'ms',
        baseline: { name: stub, value: round2(percentile(transport, 99)) },
        goal: '<= 10 ms',
        runs: run.latencies.length,
        note: `one SQLite controller, same clients, this run: p99 ${sqlite[1].value} ms`,
      }),
      {
        name: `claim throughput (${what}, ${how})`,
        value: Math.round((run.latencies.length / run.wallMs) * 1000),
        unit: 'claims/s',
        note: `one SQLite controller, this run: ${sqlite[2].value} claims/s`,
      },
      { name: `double claims (${what}, ${how}; checked in the database)`, value: run.doubles, unit: 'count', goal: '0', runs: run.claimed, note: run.note },
    );
  }
  figures.push(
    withRatio({
      // SQLite commits durably too (synchronous = FULL): this is the like-for-like comparison.
      name: `claim latency p99, PostgreSQL with 2 replicas (durable commits) against one SQLite controller (${clients} concurrent clients)`,
      value: round2(percentile(durable.latencies, 99)),
      unit: 'ms',
      baseline: { name: 'one SQLite controller, same clients, this run', value: sqlite[1].value },
    }),
  );
  return figures;
}

/** Two replicas on a fresh database with one pool of ready instances, reconciliation paused; the clients claim. */
async function claimRun(o: PostgresBenchOptions): Promise<ClaimRun> {
  const { clients, claimsPerClient } = o;
  const db = await createTestDatabase('bench_claims');
  const group = new ReplicaGroup(db.url);
  try {
    await seedSteadyStatePostgres(db.url, { presets: 1, instancesPerPreset: clients * claimsPerClient + 100, now: Date.now() });
    // warn, like the SQLite bench's silent controller: no log line per claim.
    const replicas = await Promise.all(['a', 'b'].map((name) => group.start(name, { leaseTtl: '15s', logLevel: 'warn' })));
    await waitFor('one of the two replicas to lead', async () => (await Promise.all(replicas.map((r) => r.leaderGauge()))).reduce((a, b) => a + b) === 1, 30_000);
    // Reconciliation paused (for every replica: it is a database setting), so refills do not compete.
    const api = createClient({ endpoint: `127.0.0.1:${replicas[0].apiPort}`, token: group.token });
    await api.pause();
    api.close();

    const out = JSON.parse(await runClients(replicas.map((r) => r.apiPort), group.token, clients, claimsPerClient)) as {
      latencies: number[];
      ids: string[];
      owners: string[];
      wallMs: number;
    };
    await group.stopAll();

    // Double claims, from the database: an instance handed out twice, to a claimer other than its owner, or claimed
    // in the database without a client having got it.
    const rows = await group.query<{ id: string; owner: string }>('select id, owner from instances where owner is not null');
    const stored = new Map(rows.map((r) => [r.id, r.owner]));
    const unique = new Set(out.ids);
    const wrongOwner = out.ids.filter((id, i) => stored.get(id) !== out.owners[i]).length;
    return {
      latencies: out.latencies,
      wallMs: out.wallMs,
      claimed: out.ids.length,
      doubles: out.ids.length - unique.size + wrongOwner + Math.abs(stored.size - unique.size),
      note: `${unique.size} instances claimed by the clients, ${stored.size} owned in the database, ${wrongOwner} with another owner`,
    };
  } finally {
    await group.close();
    await db.drop();
  }
}

/** Turns flushed commits on or off on the bench's own cluster (both settings take effect on a reload). */
async function durableCommits(adminUrl: string, on: boolean): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    await client.query(`alter system set fsync = ${on ? 'on' : 'off'}`);
    await client.query(`alter system set synchronous_commit = ${on ? 'on' : 'off'}`);
    await client.query('select pg_reload_conf()');
    // The reload is asynchronous: wait until a new session sees it.
    await waitFor('the cluster to reload its settings', async () => {
      const probe = new pg.Client({ connectionString: adminUrl });
      await probe.connect();
      try {
        return (await probe.query<{ synchronous_commit: string }>('show synchronous_commit')).rows[0].synchronous_commit === (on ? 'on' : 'off');
      } finally {
        await probe.end();
      }
    }, 10_000, 50);
  } finally {
    await client.end();
  }
}

/**
 * Leader replica A and follower B; A is killed (or stopped) and the time until B logs "leading" is taken from B's
 * log line's own timestamp (same machine, same clock). Then a new follower joins B, and so on.
 */
async function takeoverFigures(o: PostgresBenchOptions): Promise<Figure[]> {
  const kill = await takeovers(o.kills, 'SIGKILL', o.killLeaseTtl);
  const figures: Figure[] = [
    {
      name: `leader takeover after SIGKILL of the leader replica (--lease-ttl ${o.killLeaseTtl})`,
      value: Math.round(median(kill)),
      unit: 'ms',
      goal: `well under the lease TTL (${o.killLeaseTtl}): the freed session lock, not the lease expiry`,
      runs: kill.length,
      note: `each: ${kill.map((t) => Math.round(t)).join(', ')} ms; kills spread over the follower's one-second look at the lease`,
    },
  ];
  if (o.stops > 0) {
    const stop = await takeovers(o.stops, 'SIGSTOP', o.stopLeaseTtl);
    figures.push({
      name: `leader takeover after SIGSTOP of the leader replica (--lease-ttl ${o.stopLeaseTtl})`,
      value: Math.round(median(stop)),
      unit: 'ms',
      goal: `about the lease TTL (${o.stopLeaseTtl}): a paused holder keeps its session; the lease has to run out`,
      runs: stop.length,
      note: `each: ${stop.map((t) => Math.round(t)).join(', ')} ms`,
    });
  }
  return figures;
}

async function takeovers(count: number, signal: 'SIGKILL' | 'SIGSTOP', leaseTtl: string): Promise<number[]> {
  const db = await createTestDatabase('bench_takeover');
  const group = new ReplicaGroup(db.url);
  const options = { leaseTtl, logLevel: 'info' as const };
  const leading = /^leading:/;
  // How often a follower looks at the lease (Leadership.pollEveryMs): a third of the TTL, at most a second.
  const pollEveryMs = Math.min(1000, Math.max(200, Math.floor(parseDuration(leaseTtl) / 3)));
  const times: number[] = [];
  try {
    let leader = await group.start('r0', options);
    await leader.proc.waitForLog(leading, 30_000);
    for (let i = 1; i <= count; i++) {
      const follower = await group.start(`r${i}`, options);
      if (follower.proc.logs().some((l) => leading.test(String(l.msg)))) throw new Error(`replica r${i} led while r${i - 1} was alive`);
      // The follower looks at the lease every pollEveryMs, first just before it logs that it started: killing at
      // once would always meet the same phase of its cycle. The kills are spread evenly over the cycle instead.
      await sleep(((i - 0.5) / count) * pollEveryMs);
      const t0 = Date.now();
      process.kill(leader.proc.pid, signal);
      const line = await follower.proc.waitForLog(leading, parseDuration(leaseTtl) * 2 + 30_000);
      times.push(Date.parse(String(line.time)) - t0);
      // A stopped leader is killed now (it would only find it lost the lease).
      if (signal === 'SIGSTOP') process.kill(leader.proc.pid, 'SIGKILL');
      await leader.proc.exited;
      leader = follower;
    }
    return times;
  } finally {
    await group.close();
    await db.drop();
  }
}

interface BenchReplica {
  name: string;
  proc: PrewarmProcess;
  apiPort: number;
  opsPort: number;
  /** prewarm_replica_leader from its /metrics. */
  leaderGauge(): Promise<number>;
}

/** `prewarm controller` replicas (their own processes, from source) sharing a database, a token and a secret key. */
class ReplicaGroup {
  readonly token = `bench-${randomBytes(8).toString('hex')}`;
  private readonly secretKey = randomBytes(32).toString('hex');
  private readonly dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-pg-bench-'));
  private readonly replicas: BenchReplica[] = [];
  private pool: pg.Pool | undefined;

  constructor(private readonly database: string) {}

  async start(name: string, o: { leaseTtl: string; logLevel: 'info' | 'warn' }): Promise<BenchReplica> {
    const [apiPort, opsPort] = [await freePort(), await freePort()];
    const env: NodeJS.ProcessEnv = { ...process.env, PREWARM_TOKEN: this.token, PREWARM_SECRET_KEY: this.secretKey, PREWARM_STATE_DIR: this.dir };
    delete env.PREWARM_DATABASE;
    const proc = spawnPrewarm(
      [
        'controller',
        '--database', this.database,
        '--listen', `127.0.0.1:${apiPort}`,
        '--ops-listen', `127.0.0.1:${opsPort}`,
        '--driver-dir', exampleDrivers,
        '--lease-ttl', o.leaseTtl,
        '--drain-timeout', '2s',
        '--log-level', o.logLevel,
      ],
      { env },
    );
    const metric = async (metricName: string) => {
      const res = await fetch(`http://127.0.0.1:${opsPort}/metrics`);
      if (!res.ok) throw new Error(`/metrics: ${res.status}`);
      const line = (await res.text()).split('\n').find((l) => l.startsWith(`${metricName} `));
      if (line === undefined) throw new Error(`/metrics has no ${metricName}`);
      return Number(line.slice(line.lastIndexOf(' ') + 1));
    };
    const replica: BenchReplica = { name, proc, apiPort, opsPort, leaderGauge: () => metric('prewarm_replica_leader') };
    this.replicas.push(replica);
    // Serving (the API is served before /metrics) and past its first try to lead.
    await waitFor(
      () => `replica ${name} to serve; stderr:\n${proc.stderr().slice(-4000)}`,
      async () => {
        if (proc.child.exitCode !== null || proc.child.signalCode !== null) throw new Error(`replica ${name} exited:\n${proc.stderr().slice(-4000)}`);
        return o.logLevel === 'info' ? proc.logs().some((l) => l.msg === 'controller started') : (await metric('prewarm_replica_leader')) >= 0;
      },
      60_000,
      25,
    );
    return replica;
  }

  async query<T extends pg.QueryResultRow>(text: string): Promise<T[]> {
    this.pool ??= new pg.Pool({ connectionString: this.database, max: 1 });
    return (await this.pool.query<T>(text)).rows;
  }

  /** SIGTERM to every replica still running, and waits for them to exit. */
  async stopAll(): Promise<void> {
    for (const r of this.replicas) if (r.proc.child.exitCode === null && r.proc.child.signalCode === null) r.proc.child.kill('SIGTERM');
    await Promise.all(this.replicas.map((r) => r.proc.exited));
  }

  /** Kills every replica left (a stopped one too) and removes the shared directory. */
  async close(): Promise<void> {
    for (const r of this.replicas) {
      if (r.proc.child.exitCode === null && r.proc.child.signalCode === null) r.proc.child.kill('SIGKILL');
    }
    await Promise.all(this.replicas.map((r) => r.proc.exited));
    await this.pool?.end().catch(() => undefined);
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}
function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
