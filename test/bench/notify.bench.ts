import { type ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemClock } from '../../controller/clock/clock';
import type { DeliveryAttemptOutcome } from '../../controller/domain/notification-target';
import { silentLogger } from '../../controller/log';
import { DeliveryLoop } from '../../controller/notify/delivery-loop';
import { loadSecretBox } from '../../controller/notify/secret-box';
import type { Connection } from '../../controller/store/connection';
import { openStore, type SqlStore, type SqliteStore } from '../../controller/store/store';
import { type Figure, median, percentile, withRatio } from './figures';

/** A receiver in its own process (as a real one would be): answers every POST with 204 once the body is read. */
const RECEIVER = `
const http = require('node:http');
const server = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.statusCode = 204; res.end(); }); });
server.listen(0, '127.0.0.1', () => process.stdout.write(server.address().port + '\\n'));
`;

async function startReceiver(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, ['-e', RECEIVER], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.stdout!.once('data', (d: Buffer) => resolve(Number(String(d).trim())));
    child.once('exit', (code) => reject(new Error(`the receiver exited (${code})`)));
  });
  return { port, child };
}

/** The same POSTs without prewarm: `count` requests, `concurrency` at a time, a fresh connection each. */
async function barePosts(port: number, count: number, concurrency: number): Promise<number[]> {
  const body = JSON.stringify({ id: 1, key: 'k', event: 'workspace_autostopped', occurred_at: new Date().toISOString(), subject: {}, data: {} });
  const latencies: number[] = [];
  let next = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const t = performance.now();
      const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', agent: false, headers: { 'Content-Type': 'application/json' } }, (res) => {
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - t);
          resolve();
        });
      });
      req.on('error', reject);
      req.end(body);
    });
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        next++;
        await one();
      }
    }),
  );
  return latencies;
}

/** Through the store's own synchronous connection: one transaction for the batch, as a tick writes its rows. */
async function insertNotifications(store: SqlStore, from: number, count: number, now: number): Promise<void> {
  const payload = JSON.stringify({
    subject: { type: 'workspace', id: 'w', name: 'devbox-small-x', owner: 'alice', template: 'devbox', preset: 'small' },
    occurred_at: new Date(now).toISOString(),
    data: { deadline: new Date(now).toISOString() },
  });
  const connection: Connection = (store as SqliteStore)['connection'];
  await connection.sync((db) => {
    const stmt = db.prepare(
      `insert into notifications (dedupe_key, kind, payload, attempts, next_attempt_at, created_at, delivered_at) values (?, 'workspace_autostopped', ?, 0, ?, ?, null)`,
    );
    for (let i = from; i < from + count; i++) stmt.run(`bench:${i}`, payload, now, now);
  });
}

/**
 * Webhook delivery to one local receiver in another process: throughput of a backlog (the default 4 requests in
 * flight to the target) against the same POSTs made bare with the same concurrency, and the latency from a
 * committed notification to its recorded delivery against one bare POST, all in the same run.
 */
export async function benchNotify(runs = 3): Promise<Figure[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-notify-bench-'));
  const receiver = await startReceiver();
  const store = await openStore(`sqlite:${path.join(dir, 'bench.db')}`, { clock: systemClock });
  try {
    const box = loadSecretBox(':memory:', {});
    const secret = 'bench-secret-0123456789abcdef';
    await store.putNotificationTarget(
      {
        name: 'sink',
        url: `http://127.0.0.1:${receiver.port}/hook`,
        events: ['*'],
        format: 'json',
        enabled: true,
        sealedSecret: box.seal(secret),
        secretFingerprint: box.fingerprint(secret),
      },
      Date.now(),
    );
    // Every recorded delivery wakes whoever waits for it.
    let delivered = 0;
    let onRecord: (() => void) | undefined;
    const counting = Object.create(store) as SqlStore;
    counting.recordDeliveryAttempt = async (id: number, lease: number, outcome: DeliveryAttemptOutcome, now: number) => {
      const ok = await store.recordDeliveryAttempt(id, lease, outcome, now);
      if (ok && outcome.kind === 'delivered') delivered++;
      onRecord?.();
      return ok;
    };
    const waitDelivered = (n: number) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (delivered >= n) {
            onRecord = undefined;
            resolve();
          }
        };
        onRecord = check;
        check();
      });
    const loop = new DeliveryLoop({
      store: counting,
      clock: systemClock,
      log: silentLogger,
      secretBox: box,
      random: Math.random,
      timeoutMs: 10_000,
      perTargetConcurrency: 4,
      ownPorts: () => [],
    });
    loop.start();

    const backlog = 2_000;
    let seq = 0;
    const rates: number[] = [];
    for (let r = 0; r < runs; r++) {
      await insertNotifications(store, seq, backlog, Date.now());
      seq += backlog;
      const target = delivered + backlog;
      const t = performance.now();
      loop.kick(0);
      await waitDelivered(target);
      rates.push(backlog / ((performance.now() - t) / 1000));
    }
    const bareRates: number[] = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      await barePosts(receiver.port, backlog, 4);
      bareRates.push(backlog / ((performance.now() - t) / 1000));
    }

    // Latency: one notification at a time, committed and then announced as the lifecycle loop announces the
    // notifications of its tick, until its delivery is recorded.
    const samples = 200;
    const latencies: number[] = [];
    for (let i = 0; i < samples; i++) {
      // From an idle loop (the previous delivery's follow-up tick done), as a state change usually finds it.
      await new Promise((resolve) => setTimeout(resolve, 20));
      const t = performance.now();
      await insertNotifications(store, seq++, 1, Date.now());
      loop.kick(0);
      await waitDelivered(delivered + 1);
      latencies.push(performance.now() - t);
    }
    const bare = await barePosts(receiver.port, samples, 1);
    await loop.stop();
    return [
      withRatio({
        name: `webhook delivery throughput, one local receiver, backlog of ${backlog}, 4 in flight`,
        value: Math.round(median(rates)),
        unit: 'deliveries/s',
        baseline: { name: 'bare POSTs, 4 in flight', value: Math.round(median(bareRates)) },
        runs,
      }),
      ...[50, 99].map((p) =>
        withRatio({
          name: `notification latency, commit → delivery recorded, p${p}`,
          value: round(percentile(latencies, p)),
          unit: 'ms',
          baseline: { name: `one bare POST, p${p}`, value: round(percentile(bare, p)) },
          runs: samples,
        }),
      ),
    ];
  } finally {
    await store.close().catch(() => undefined);
    receiver.child.kill();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}
