/**
 * Several real `prewarm controller` replicas sharing one PostgreSQL database (the run's throwaway cluster, a fresh
 * database per test): every replica serves the API, only the leader runs the loops and the driver jobs, and the
 * leader's writes are fenced by the lease generation.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterEach, describe, expect, test } from '@jest/globals';
import pg from 'pg';
import { poolSpec, templateSpec } from '../helpers/fixtures';
import { createTestDatabase, pgSkipReason, type TestDatabase } from '../helpers/postgres';
import { runPrewarm } from '../helpers/prewarm-process';
import { freePort, type Replica, ReplicaGroup, type ReplicaGroupOptions } from '../helpers/replica-process';
import { skipping } from '../helpers/skip';
import { waitFor } from '../helpers/wait';

const pgTest = skipping(pgSkipReason(), 'the multi-replica tests') ? test.skip : test;

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function database(): Promise<TestDatabase> {
  const db = await createTestDatabase('replicas');
  cleanups.push(() => db.drop());
  return db;
}

/** A fresh database and a group of replicas on it, all killed and dropped after the test. */
async function replicaGroup(options: Omit<ReplicaGroupOptions, 'database'> = {}): Promise<ReplicaGroup> {
  const db = await database();
  const group = new ReplicaGroup({ ...options, database: db.url });
  cleanups.push(() => group.close());
  return group;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const gitOnPath = spawnSync('git', ['--version'], { stdio: 'ignore' }).status === 0;

describe('claims through every replica', () => {
  const CLAIMS = 1000;
  const CONCURRENCY = 32;
  const POOL = 60;

  pgTest.each([2, 3])(
    '%i replicas: 1,000 concurrent claims round-robin over their APIs hand no instance out twice; each gets one or "no ready instance"',
    async (count) => {
      const group = await replicaGroup({ leaseTtl: '6s', reconcileInterval: '300ms', inFlightLimit: 8 });
      // Started together: they migrate the empty database once (under the migrator's advisory lock) and elect one leader.
      const replicas = await Promise.all(['a', 'b', 'c'].slice(0, count).map((name) => group.start(name)));
      const api = replicas[count - 1].client;
      await api.putTemplate(templateSpec({ name: 'devbox', driver: 'localdir' }));
      await api.putPreset(poolSpec('load', POOL));
      await waitFor(`${POOL} ready instances`, async () => (await api.listInstances({ presetId: 'devbox/load', state: 'ready' })).length === POOL, 60_000, 100);

      // The leader keeps refilling the pool while the claims run: claims race each other and the refills.
      const got = new Map<string, string>(); // instance id → owner
      const twice: string[] = [];
      const empty: number[] = [];
      const other: string[] = [];
      let next = 0;
      const worker = async () => {
        while (next < CLAIMS) {
          const i = next++;
          const owner = `claimer-${i}`;
          try {
            const w = await replicas[i % count].client.claim({ template: 'devbox', preset: 'load', owner, noFallback: true });
            if (got.has(w.id)) twice.push(`${w.id}: ${got.get(w.id)} and ${owner}`);
            got.set(w.id, owner);
            if (w.owner !== owner || w.state !== 'claimed') other.push(`claim ${i} answered ${w.id} owned by ${w.owner} in state ${w.state}`);
          } catch (err) {
            const e = err as Error;
            if (e.name === 'ConflictError' && /no ready instance in the pool of "devbox\/load"/.test(e.message)) empty.push(i);
            else other.push(`claim ${i}: ${e.name}: ${e.message}`);
          }
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));

      expect(twice).toEqual([]);
      expect(other).toEqual([]);
      expect(got.size + empty.length).toBe(CLAIMS);
      expect(got.size).toBeGreaterThanOrEqual(POOL);

      // The database agrees: exactly the answered claims own instances, each its own one, all claimed.
      const owned = await group.query<{ id: string; owner: string; state: string }>(`select id, owner, state from instances where owner is not null`);
      expect(owned.length).toBe(got.size);
      for (const row of owned) {
        expect({ id: row.id, owner: row.owner, state: row.state }).toEqual({ id: row.id, owner: got.get(row.id), state: 'claimed' });
      }
      expect(await group.query(`select owner, count(*) from instances where owner is not null group by owner having count(*) > 1`)).toEqual([]);
      // Each replica counted the claims it answered (pool or empty), and nothing else.
      for (const [k, r] of replicas.entries()) {
        const sent = Math.floor(CLAIMS / count) + (k < CLAIMS % count ? 1 : 0);
        const pool = await r.metric('prewarm_claims_total', 'result="pool"');
        const none = await r.metric('prewarm_claims_total', 'result="empty"');
        expect(pool + none).toBe(sent);
      }
      const sum = async (labels: string) => (await Promise.all(replicas.map((r) => r.metric('prewarm_claims_total', labels)))).reduce((a, b) => a + b, 0);
      expect(await sum('result="pool"')).toBe(got.size);
      expect(await sum('result="empty"')).toBe(empty.length);
      // One leader throughout: no other replica took the lease (on a loaded machine the leader may drop its lead when a
      // renewal comes late, and take it back under the same generation when nobody else took it meanwhile). Every gain
      // and loss of the lead is shown when this fails (a loss says why).
      const changes = replicas.flatMap((r) =>
        r.logs()
          .filter((l) => /^(no longer )?leading:/.test(String(l.msg)))
          .map((l) => ({ at: String(l.time), replica: r.name, generation: l['generation'], gained: String(l.msg).startsWith('leading:'), reason: l['reason'] })),
      );
      const leads = new Set(changes.filter((c) => c.gained).map((c) => `${c.replica} generation ${String(c.generation)}`));
      expect({ leads: leads.size, changes }).toEqual({ leads: 1, changes: expect.anything() });
      expect((await Promise.all(replicas.map((r) => r.leaderGauge()))).sort()).toEqual([...Array(count - 1).fill(0), 1]);
    },
    120_000,
  );
});

/** Instances in pending or starting that no unfinished job will ever move on (a build lost to a crash). */
const strandedSql = `
  select i.id, i.state from instances i
   where i.state in ('pending', 'starting')
     and not exists (select 1 from jobs j where j.instance_id = i.id and j.state in ('pending', 'running'))`;

describe('failover', () => {
  pgTest(
    'kill -9 of the leader while builds run: another replica takes over before the lease runs out, re-drives the same jobs and the pool converges without a double build',
    async () => {
      const TTL = 4500;
      const RENEW = TTL / 3;
      const RECONCILE = 1000;
      const DESIRED = 4;
      const group = await replicaGroup({ leaseTtl: `${TTL}ms`, reconcileInterval: `${RECONCILE}ms`, inFlightLimit: 8 });
      const a = await group.start('a');
      const b = await group.start('b');
      expect(await group.leader()).toBe(a);
      const generation = (await group.lease()).generation;
      await b.client.putTemplate(templateSpec({ name: 'devbox', driver: 'localdir', config: { build_seconds: '2' } }));
      await b.client.putPreset(poolSpec('failover', DESIRED));

      // Every build is in flight and past its checkout, in localdir's 2 s "build". (A driver whose controller was killed
      // dies at its next write to the closed stderr pipe; during the build it writes nothing until the instance is
      // published, so the old builds finish and the re-driven jobs find them done.)
      const staging = () => fs.readdirSync(group.stateDir).filter((f) => f.endsWith('.building'));
      const checkedOut = (dir: string) =>
        fs.existsSync(path.join(group.stateDir, dir, gitOnPath ? '.git/refs/heads/main' : 'src/main.js'));
      await waitFor('every build in flight', async () => staging().length === DESIRED && staging().every(checkedOut), 30_000);
      await sleep(100);
      const running = await group.query<{ id: string; instance_id: string; attempt: number }>(
        `select id, instance_id, attempt from jobs where op = 'create' and state = 'running' order by id`,
      );
      expect(running.map((j) => j.attempt)).toEqual(Array(DESIRED).fill(1));

      await waitFor("the leader's lock session recorded", () => group.holderSessionLocked(), 10_000);
      const from = b.logs().length;
      const killedAt = Date.now();
      a.signal('SIGKILL');
      const gained = await b.waitForLog('leading:', 3 * TTL, from);
      const takeoverAt = Date.parse(String(gained.time));
      const takeoverMs = takeoverAt - killedAt;
      process.stderr.write(`replicas: takeover after kill -9 of the leader: ${takeoverMs} ms (lease ttl ${TTL} ms, renewal every ${RENEW} ms)\n`);
      // The advisory-lock fast path: at the first renewal after the kill. Waiting out the lease would take at least
      // TTL - RENEW after the kill (the last renewal was at most RENEW before it).
      expect(takeoverMs).toBeLessThan(TTL - RENEW);
      expect(await group.lease()).toMatchObject({ holder: b.id, generation: generation + 1 });

      // The killed leader's drivers live on in their own sessions and finish their builds.
      const markers = () => running.filter((j) => fs.existsSync(path.join(group.stateDir, nameOf.get(j.instance_id)!, '.prewarm-instance.json'))).length;
      const nameOf = new Map(
        (await group.query<{ id: string; name: string }>(`select id, name from instances`)).map((r) => [r.id, r.name] as const),
      );
      await waitFor('the old builds finished', () => markers() === DESIRED, 30_000);
      const buildsDoneAt = Date.now();

      const convergedAt = await waitFor(
        'the pool converged',
        async () => {
          const [ready] = await group.query<{ n: number }>(`select count(*)::int as n from instances where state = 'ready'`);
          const [open] = await group.query<{ n: number }>(`select count(*)::int as n from jobs where state in ('pending', 'running')`);
          const stranded = await group.query(strandedSql);
          return ready.n === DESIRED && open.n === 0 && stranded.length === 0 && Date.now();
        },
        30_000,
        25,
      );
      const convergeMs = convergedAt - Math.max(takeoverAt, buildsDoneAt);
      process.stderr.write(`replicas: pool converged ${convergedAt - takeoverAt} ms after the takeover, ${convergeMs} ms after the takeover and the old builds were both done\n`);
      expect(convergeMs).toBeLessThanOrEqual(2 * RECONCILE);

      // The same jobs were re-driven (same job, same instance id, second attempt), and the driver found each build
      // finished: nothing was built twice.
      const jobs = await group.query<{ id: string; instance_id: string; op: string; state: string; attempt: number; stderr: string }>(
        `select id, instance_id, op, state, attempt, stderr from jobs order by id`,
      );
      expect(jobs.map((j) => ({ id: j.id, instance_id: j.instance_id, op: j.op, state: j.state, attempt: j.attempt }))).toEqual(
        running.map((j) => ({ id: j.id, instance_id: j.instance_id, op: 'create', state: 'succeeded', attempt: 2 })),
      );
      for (const j of jobs) expect(j.stderr).toContain(`is already built for ${j.instance_id}; nothing to do`);
      const live = await group.query<{ id: string; name: string; state: string; attributes: string }>(`select id, name, state, attributes from instances order by name`);
      expect(live.map((i) => i.state)).toEqual(Array(DESIRED).fill('ready'));
      // One published build per instance, no staging or lock left, and what was recorded is that build.
      const onDisk = fs.readdirSync(group.stateDir).sort();
      expect(onDisk).toEqual(live.map((i) => i.name));
      for (const i of live) {
        const marker = JSON.parse(fs.readFileSync(path.join(group.stateDir, i.name, '.prewarm-instance.json'), 'utf8'));
        expect(marker.instance_id).toBe(i.id);
        expect(JSON.parse(i.attributes)).toEqual(marker.attributes);
      }
      expect(await b.leaderGauge()).toBe(1);
    },
    90_000,
  );
});

/**
 * A test driver whose ops take `config.<op>_ms` (create_ms, stop_ms, delete_ms) and that says which replica ran them:
 * REPLICA_TAG (the controller's environment reaches its drivers) in its attributes and its stderr, and every start and
 * end of a run in $PREWARM_STATE_DIR/runs.jsonl. It keeps no instance state, so it cannot tell a repeated create.
 */
const SLOW_DRIVER = `#!/usr/bin/env node
'use strict';
const fs = require('node:fs');
const path = require('node:path');
let input = '';
process.stdin.on('data', (d) => (input += d));
process.stdin.on('end', () => {
  const req = JSON.parse(input);
  const op = process.argv[2];
  const by = process.env.REPLICA_TAG || '?';
  const note = (phase) =>
    fs.appendFileSync(path.join(process.env.PREWARM_STATE_DIR, 'runs.jsonl'), JSON.stringify({ phase, op, id: req.instance.id, by, attempt: req.attempt, at: Date.now() }) + '\\n');
  note('start');
  setTimeout(() => {
    note('end');
    process.stderr.write('slow: ' + op + ' ' + req.instance.id + ' run by replica ' + by + '\\n');
    process.stdout.write(JSON.stringify({ attributes: { by } }) + '\\n');
  }, Number(req.config[op + '_ms'] || 0));
});
`;

interface Run {
  phase: 'start' | 'end';
  op: string;
  id: string;
  by: string;
  attempt: number;
  at: number;
}

function runs(stateDir: string): Run[] {
  const file = path.join(stateDir, 'runs.jsonl');
  if (!fs.existsSync(file)) return [];
  return fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Run);
}

/**
 * SIGSTOP, retried until the process is not stopped inside a transaction. A leader stopped inside a fenced transaction
 * holds the lease row (the fence reads it FOR KEY SHARE), and every takeover waits for the server to end that transaction
 * at its idle-in-transaction timeout, which the fence sets to one lease time: this test wants the plain pause.
 */
async function pauseOutsideTransaction(group: ReplicaGroup, r: Replica, database: string): Promise<number> {
  for (let tries = 0; ; tries++) {
    r.signal('SIGSTOP');
    const at = Date.now();
    await sleep(50);
    const [open] = await group.query<{ n: number }>(
      `select count(*)::int as n from pg_stat_activity where datname = $1 and state like 'idle in transaction%'`,
      [database],
    );
    if (open.n === 0) return at;
    if (tries === 20) throw new Error(`replica ${r.name} was paused inside a transaction ${tries + 1} times in a row`);
    r.signal('SIGCONT');
    await sleep(10 + tries * 7);
  }
}

/** A directory holding the slow driver, removed after the test. */
function slowDriverDir(): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-slow-driver-'));
  cleanups.push(async () => fs.rmSync(dir, { recursive: true, force: true }));
  fs.writeFileSync(path.join(dir, 'slow'), SLOW_DRIVER, { mode: 0o755 });
  return dir;
}

describe('the lifecycle across leader changes', () => {
  pgTest(
    'reminders, autostops and stopped-TTL deletes while leader after leader is killed mid-way: one reminder per deadline, one stop job and one delete job per workspace',
    async () => {
      const WORKSPACES = 6;
      const group = await replicaGroup({ driverDir: slowDriverDir(), leaseTtl: '1s', lifecycleInterval: '100ms', reconcileInterval: '300ms', inFlightLimit: 8 });
      const [a, b] = await Promise.all([group.start('a'), group.start('b')]);
      // Reminder 1 s after the claim, autostop after 3 s, delete 1 s after the stop; a stop and a delete take the driver 1 s.
      await a.client.putTemplate(
        templateSpec({
          name: 'devbox',
          driver: 'slow',
          config: { stop_ms: '1000', delete_ms: '1000' },
          lifecycle_policy: { autostop_after: '3s', autostop_reminder: '2s', stopped_ttl: '1s' },
        }),
      );
      await a.client.putPreset(poolSpec('ws', WORKSPACES));
      await waitFor('a ready pool', async () => (await a.client.listInstances({ presetId: 'devbox/ws', state: 'ready' })).length === WORKSPACES, 30_000, 50);
      const workspaces = await Promise.all(
        Array.from({ length: WORKSPACES }, (_, i) => [a, b][i % 2].client.claim({ template: 'devbox', preset: 'ws', owner: `dev-${i}`, noFallback: true })),
      );
      const ids = workspaces.map((w) => w.id);
      const count = async (text: string) => (await group.query<{ n: number }>(`select count(*)::int as n from ${text}`, [ids]))[0].n;

      // kill -9 the leader as soon as it has sent a reminder, once its stop jobs run and once its delete jobs run; the
      // survivor takes over at its next renewal (its advisory lock shows the holder gone) and a fresh replica joins.
      const moments = [
        ['the first reminder', `notifications where kind = 'workspace_autostop_reminder' and split_part(dedupe_key, ':', 2) = any($1)`],
        ['a stop running', `jobs where op = 'stop' and state = 'running' and instance_id = any($1)`],
        ['a delete running', `jobs where op = 'delete' and state = 'running' and instance_id = any($1)`],
      ] as const;
      const hit: string[] = [];
      for (const [what, from] of moments) {
        const moment = await waitFor(
          what,
          async () => ((await count(from)) > 0 ? 'now' : (await count(`instances where state = 'archived' and id = any($1)`)) === WORKSPACES && 'over'),
          30_000,
          10,
        );
        if (moment === 'over') break;
        hit.push(what);
        (await group.leader()).signal('SIGKILL');
        await group.start(`spare-${hit.length}`);
      }
      const api = group.replicas.find((r) => !r.gone)!.client;
      await waitFor('every workspace archived', async () => (await Promise.all(ids.map((id) => api.getWorkspace(id)))).every((w) => w.state === 'archived'), 60_000, 100);

      const archived = await Promise.all(ids.map((id) => api.getWorkspace(id)));
      expect(archived.map((w) => w.destroyReason)).toEqual(Array(WORKSPACES).fill('stopped_ttl'));
      // One reminder per deadline (the claim's: nothing moved it), one autostop notice, one delete report.
      const outbox = await group.query<{ dedupe_key: string; kind: string }>(`select dedupe_key, kind from notifications order by dedupe_key`);
      const ofKind = (kind: string) => outbox.filter((n) => n.kind === kind).map((n) => n.dedupe_key);
      expect(ofKind('workspace_autostop_reminder')).toEqual(workspaces.map((w) => `autostop-reminder:${w.id}:${w.deadline}`).sort());
      expect(ofKind('workspace_autostopped')).toEqual(workspaces.map((w) => `autostop:${w.id}:${w.deadline}`).sort());
      expect(ofKind('workspace_deleted').map((k) => k.split(':')[1]).sort()).toEqual([...ids].sort());
      // One job per operation: a job re-driven by the next leader keeps its row (and counts its attempts).
      const jobs = await group.query<{ instance_id: string; op: string; n: number; succeeded: number; attempts: number }>(
        `select instance_id, op, count(*)::int as n, count(*) filter (where state = 'succeeded')::int as succeeded, max(attempt)::int as attempts
           from jobs where instance_id = any($1) group by instance_id, op order by instance_id, op`,
        [ids],
      );
      expect(jobs.map(({ instance_id, op, n, succeeded }) => ({ instance_id, op, n, succeeded }))).toEqual(
        [...ids].sort().flatMap((id) => ['create', 'delete', 'stop'].map((op) => ({ instance_id: id, op, n: 1, succeeded: 1 }))),
      );
      expect(await group.query(`select id, state from jobs where state in ('pending', 'running')`)).toEqual([]);
      const redriven = jobs.filter((j) => j.attempts > 1).map((j) => `${j.op}×${j.attempts}`);
      process.stderr.write(`replicas: lifecycle kills landed at ${hit.join(', ') || 'nothing'}; jobs re-driven: ${redriven.join(', ') || 'none'}\n`);
      // Every leader had a generation of its own (a lead dropped for a late renewal may be taken back under the same one).
      const leaders = new Map<number, Set<string>>();
      for (const r of group.replicas) {
        for (const l of r.logs().filter((x) => String(x.msg).startsWith('leading:'))) {
          leaders.set(Number(l.generation), (leaders.get(Number(l.generation)) ?? new Set()).add(r.name));
        }
      }
      expect([...leaders.values()].filter((names) => names.size > 1)).toEqual([]);
      expect(leaders.size).toBeGreaterThanOrEqual(1 + hit.length);
      expect((await group.lease()).generation).toBe(Math.max(...leaders.keys()));
    },
    90_000,
  );
});

describe('a paused leader', () => {
  pgTest(
    'SIGSTOP past its lease with a driver run in flight, then SIGCONT: the other replica takes over under a new generation and the late result is refused',
    async () => {
      const TTL = 2000;
      const db = await database();
      const group = new ReplicaGroup({ database: db.url, driverDir: slowDriverDir(), leaseTtl: `${TTL}ms`, reconcileInterval: '300ms' });
      cleanups.push(() => group.close());

      const a = await group.start('a');
      const b = await group.start('b');
      expect(await group.leader()).toBe(a);
      const first = await group.lease();
      await b.client.putTemplate(templateSpec({ name: 'slowbox', driver: 'slow', config: { create_ms: '1500' } }));
      await b.client.putPreset(poolSpec('paused', 1, { template: 'slowbox' }));

      const started = await waitFor('the leader running a create', () => runs(group.stateDir).find((r) => r.phase === 'start' && r.by === 'a'), 20_000);
      const fromB = b.logs().length;
      const pausedAt = await pauseOutsideTransaction(group, a, db.name);

      const gained = await b.waitForLog('leading:', 5 * TTL, fromB);
      const takeoverMs = Date.parse(String(gained.time)) - pausedAt;
      process.stderr.write(`replicas: takeover from a paused leader: ${takeoverMs} ms after SIGSTOP (lease ttl ${TTL} ms)\n`);
      const second = await group.lease();
      expect(second).toMatchObject({ holder: b.id, generation: first.generation + 1 });
      expect(gained.generation).toBe(second.generation);

      // The new leader re-drives the job (same job, next attempt) and records its own result; the paused leader's run
      // finished meanwhile, its answer unread.
      const [job] = await group.query<{ id: string; instance_id: string }>(`select id, instance_id from jobs where op = 'create'`);
      expect(job.instance_id).toBe(started.id);
      const recorded = await waitFor(
        'the new leader recorded the build',
        async () => {
          const [row] = await group.query<{ state: string; attempt: number; stderr: string; finished_at: string }>(
            `select state, attempt, stderr, finished_at from jobs where id = $1`,
            [job.id],
          );
          return row.state === 'succeeded' && row;
        },
        20_000,
      );
      expect(recorded).toMatchObject({ attempt: 2, stderr: `slow: create ${started.id} run by replica b\n` });
      const instanceRow = async () =>
        (await group.query<{ state: string; attributes: string; updated_at: string }>(`select state, attributes, updated_at from instances where id = $1`, [started.id]))[0];
      const built = await instanceRow();
      expect({ state: built.state, attributes: JSON.parse(built.attributes) }).toEqual({ state: 'ready', attributes: { by: 'b' } });
      // Its run was in flight when it was paused, and finished while it was.
      const runsOfA = runs(group.stateDir).filter((r) => r.by === 'a');
      expect(runsOfA.map((r) => r.phase)).toEqual(['start', 'end']);
      expect(runsOfA[1].at).toBeGreaterThan(pausedAt);

      const fromA = a.logs().length;
      const resumedAt = Date.now();
      a.signal('SIGCONT');
      const lost = await a.waitForLog('no longer leading', 10_000, fromA);
      expect(lost.generation).toBe(first.generation);
      const refused = await a.waitForLog('driver result not recorded', 10_000, fromA);
      expect(refused).toMatchObject({ job: Number(job.id), op: 'create' });
      // Two of its reconcile ticks later, still nothing of it in the database.
      await sleep(700);
      const [after] = await group.query<{ state: string; attempt: number; stderr: string; finished_at: string }>(
        `select state, attempt, stderr, finished_at from jobs where id = $1`,
        [job.id],
      );
      expect(after).toEqual(recorded);
      expect(await instanceRow()).toEqual(built);
      expect(await group.query(`select id from jobs where stderr like '%replica a%'`)).toEqual([]);
      expect(await group.query(`select id from instances where attributes like '%"a"%'`)).toEqual([]);
      expect(runs(group.stateDir).filter((r) => r.by === 'a' && r.at >= resumedAt)).toEqual([]);
      expect(await group.lease()).toMatchObject({ holder: b.id, generation: second.generation });
      expect([await a.leaderGauge(), await b.leaderGauge()]).toEqual([0, 1]);

      // The resumed replica let go of its lock session: the new leader's renewal takes the lock and records its session,
      // so when it is killed in turn, the resumed replica takes over at its next renewal, not when the lease runs out.
      await waitFor("the new leader's lock session recorded", () => group.holderSessionLocked(), 5 * TTL);
      const fromA2 = a.logs().length;
      const killedAt = Date.now();
      b.signal('SIGKILL');
      const again = await a.waitForLog('leading:', 5 * TTL, fromA2);
      const againMs = Date.parse(String(again.time)) - killedAt;
      process.stderr.write(`replicas: takeover by the once-paused replica after kill -9 of the new leader: ${againMs} ms\n`);
      expect(againMs).toBeLessThan(TTL - TTL / 3);
      expect(await group.lease()).toMatchObject({ holder: a.id, generation: second.generation + 1 });
    },
    60_000,
  );
});

describe('prewarm controller --database: bad input', () => {
  const PASSWORD = 'Sekr1t-pw-never-printed';

  /** The controller with throwaway ports and the shared env; the result of its run to the end. */
  async function controller(database: string): Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; stdout: string }> {
    const env: NodeJS.ProcessEnv = { ...process.env, PREWARM_TOKEN: 'bad-input-token-0123456789', PREWARM_SECRET_KEY: 'ab'.repeat(32) };
    delete env.PREWARM_DATABASE;
    const args = ['controller', '--database', database, '--listen', `127.0.0.1:${await freePort()}`, '--ops-listen', `127.0.0.1:${await freePort()}`];
    return runPrewarm([...args, '--driver-dir', path.join(__dirname, '../../examples/drivers'), '--log-level', 'warn'], { env });
  }

  async function tables(url: string): Promise<string[]> {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    try {
      const { rows } = await c.query<{ table_name: string }>(
        `select table_name from information_schema.tables where table_schema = current_schema() order by table_name`,
      );
      return rows.map((r) => r.table_name);
    } finally {
      await c.end();
    }
  }

  function withPassword(url: string, password: string): string {
    const u = new URL(url);
    u.password = password;
    return u.toString();
  }

  pgTest(
    'malformed URLs, an unreachable server and wrong credentials: a non-zero exit, a message naming the problem, no password, nothing written',
    async () => {
      const db = await database();
      const real = new URL(db.url);
      const closed = await freePort();
      const cases = [
        {
          what: 'a port that is not a number',
          url: `postgres://postgres:${PASSWORD}@127.0.0.1:notaport/${db.name}`,
          code: 2,
          message: /--database: "postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:notaport\/\w+" is not a valid URL; expected postgres:\/\/USER:PASSWORD@HOST:PORT\/DATABASE/,
        },
        {
          what: 'no database name',
          url: `postgres://postgres:${PASSWORD}@127.0.0.1:${real.port}/`,
          code: 2,
          message: /--database: postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/ names no database/,
        },
        {
          what: 'no database name, no slash',
          url: `postgres://postgres:${PASSWORD}@127.0.0.1:${real.port}`,
          code: 2,
          message: /names no database/,
        },
        {
          what: 'a closed loopback port',
          url: `postgres://postgres:${PASSWORD}@127.0.0.1:${closed}/${db.name}`,
          // EX_UNAVAILABLE: a supervisor may try again later.
          code: 69,
          message: new RegExp(`--database: cannot reach PostgreSQL at 127\\.0\\.0\\.1:${closed} \\(ECONNREFUSED`),
        },
        {
          what: 'wrong credentials',
          url: withPassword(db.url, PASSWORD),
          // EX_CONFIG: retrying will not help until someone changes the configuration.
          code: 78,
          message: new RegExp(`--database: PostgreSQL at 127\\.0\\.0\\.1:${real.port} refused the credentials of user "postgres"`),
        },
      ];
      // One at a time: each is a whole process start, and the machine has two cores.
      for (const c of cases) {
        const run = await controller(c.url);
        const seen = { what: c.what, code: run.code, signal: run.signal };
        expect(seen).toEqual({ what: c.what, code: c.code, signal: null });
        expect(run.stderr).toMatch(c.message);
        expect(run.stderr).not.toContain(PASSWORD);
        expect(run.stderr).not.toContain(real.password);
        expect(run.stdout).toBe('');
      }
      // Nothing was created or migrated in the database any of them named.
      expect(await tables(db.url)).toEqual([]);
    },
    90_000,
  );

  pgTest(
    'a database written by a newer prewarm: a non-zero exit naming the unknown migration, and not one table changed',
    async () => {
      const db = await database();
      const group = new ReplicaGroup({ database: db.url });
      cleanups.push(() => group.close());
      const first = await group.start('first');
      await first.stop();
      await group.query(`insert into kysely_migration (name, timestamp) values ('9999_from_a_newer_prewarm', now()::text)`);
      const snapshot = async () => ({
        tables: await tables(db.url),
        migrations: (await group.query<{ name: string }>(`select name from kysely_migration order by name`)).map((r) => r.name),
        columns: Number((await group.query<{ n: string }>(`select count(*) as n from information_schema.columns where table_schema = current_schema()`))[0].n),
        replicas: Number((await group.query<{ n: string }>(`select count(*) as n from replicas`))[0].n),
        lease: await group.lease(),
      });
      const before = await snapshot();
      expect(before.migrations).toContain('9999_from_a_newer_prewarm');

      const run = await controller(db.url);
      expect(run.code).toBe(78);
      expect(run.stderr).toMatch(/--database: postgres:\/\/postgres:\*\*\*@127\.0\.0\.1:\d+\/\w+ was written by a newer prewarm: it has migration 9999_from_a_newer_prewarm, which this version does not know/);
      expect(run.stderr).toMatch(/Nothing was changed/);
      expect(run.stderr).not.toContain(new URL(db.url).password);
      expect(await snapshot()).toEqual(before);
    },
    60_000,
  );
});
