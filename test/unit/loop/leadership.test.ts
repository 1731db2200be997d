/**
 * Leadership on a fake clock and a scripted store: when a replica starts and stops acting, and what it says.
 */
import assert from 'node:assert/strict';
import { describe, test } from '@jest/globals';
import type { LeaderLease } from '../../../controller/domain/replica';
import { Leadership } from '../../../controller/loop/leadership';
import type { Store } from '../../../controller/store/store';
import { FakeClock } from '../../helpers/fake-clock';

const TTL = 15_000;

/** The lease calls of a Store, scripted: `answer` decides each acquireLeadership. */
function scriptedStore(shared = true) {
  const calls: string[] = [];
  let fence: LeaderLease | null = null;
  const state = {
    answer: (): LeaderLease | null | Error => ({ holder: 'me', generation: 1, expiresAt: 0, acquiredAt: 0, ttlMs: TTL }),
  };
  const store = {
    shared,
    registerReplica: async () => void calls.push('register'),
    heartbeat: async () => void calls.push('heartbeat'),
    retireReplica: async () => void calls.push('retire'),
    acquireLeadership: async (_holder: string, _ttl: number, opts?: { takeOverLostSession?: boolean }) => {
      calls.push(opts?.takeOverLostSession ? 'acquire(candidate)' : 'acquire');
      const a = state.answer();
      if (a instanceof Error) throw a;
      return a;
    },
    setFence: (l: LeaderLease | null) => void (fence = l),
  } as unknown as Store;
  return { store, calls, state, fence: () => fence };
}

function logger() {
  const lines: Array<{ level: string; msg: string; fields?: Record<string, unknown> }> = [];
  const at = (level: string) => (msg: string, fields?: Record<string, unknown>) => void lines.push({ level, msg, fields });
  return { log: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as never, lines };
}

function setup(shared = true, ttlMs = TTL) {
  const clock = new FakeClock(Date.parse('2026-12-05T09:00:00Z'));
  const s = scriptedStore(shared);
  const { log, lines } = logger();
  const events: string[] = [];
  const leadership = new Leadership({
    store: s.store,
    clock,
    log,
    replica: { id: 'me', host: 'h', pid: 1, version: 'v', api: 'a' },
    ttlMs,
    onGain: (l) => events.push(`gain ${l.generation}`),
    onLose: (why) => events.push(`lose: ${why}`),
  });
  return { clock, leadership, events, lines, ...s };
}

describe('Leadership', () => {
  test('renewals, and the heartbeats on them, come every third of the TTL and at least every 10 s, so a live replica never looks gone', () => {
    assert.equal(setup(true, 15_000).leadership.renewEveryMs, 5_000);
    assert.equal(setup(true, 120_000).leadership.renewEveryMs, 10_000);
    assert.equal(setup(true, 300).leadership.renewEveryMs, 200);
  });

  test('a replica that gets the lease at start leads, sets the fence, and says so once', async () => {
    const t = setup();
    await t.leadership.start();
    assert.equal(t.leadership.isLeader, true);
    assert.equal(t.fence()?.generation, 1);
    assert.deepEqual(t.events, ['gain 1']);
    assert.deepEqual(t.calls.slice(0, 3), ['register', 'heartbeat', 'acquire(candidate)']);
    await t.leadership.tick();
    assert.deepEqual(t.events, ['gain 1'], 'a renewal under the same generation is no new gain');
    assert.equal(t.calls.at(-1), 'acquire', 'the holder renews; it does not ask to take over a lost session');
    await t.leadership.stop();
  });

  test('a follower does not act, and leads as soon as it gets the lease', async () => {
    const t = setup();
    t.state.answer = () => null;
    await t.leadership.start();
    assert.equal(t.leadership.isLeader, false);
    assert.deepEqual(t.events, []);
    t.state.answer = () => ({ holder: 'me', generation: 4, expiresAt: 0, acquiredAt: 0, ttlMs: TTL });
    await t.leadership.tick();
    assert.equal(t.leadership.isLeader, true);
    assert.deepEqual(t.events, ['gain 4']);
    await t.leadership.stop();
  });

  test('a follower looks at the lease every second (a killed leader is replaced that fast), the leader renews every third of the TTL', async () => {
    const t = setup();
    t.state.answer = () => null;
    await t.leadership.start();
    assert.deepEqual(t.clock.pending(), [1000]);
    const acquires = () => t.calls.filter((c) => c.startsWith('acquire')).length;
    const before = acquires();
    await t.clock.advanceAsync(3000);
    assert.equal(acquires() - before, 3);
    assert.equal(t.calls.filter((c) => c === 'heartbeat').length, 1, 'the heartbeat keeps its own pace (a third of the TTL)');
    t.state.answer = () => ({ holder: 'me', generation: 2, expiresAt: 0, acquiredAt: 0, ttlMs: TTL });
    await t.clock.advanceAsync(1000);
    assert.equal(t.leadership.isLeader, true);
    assert.deepEqual(
      t.clock.pending(),
      [TTL / 3, TTL],
      'renewal at a third of the TTL, the expiry timer at its end',
    );
    await t.leadership.stop();
  });

  test('another replica holding the lease now: the leader stops acting and clears the fence', async () => {
    const t = setup();
    await t.leadership.start();
    t.state.answer = () => null;
    await t.leadership.tick();
    assert.equal(t.leadership.isLeader, false);
    assert.equal(t.fence(), null);
    assert.match(t.events.at(-1)!, /^lose: another replica holds the lease now/);
    assert.ok(t.lines.some((l) => l.level === 'warn' && /no longer leading/.test(l.msg)));
    await t.leadership.stop();
  });

  test('a database that stops answering: logged once, and the leader stops acting when the lease runs out by its own clock', async () => {
    const t = setup();
    await t.leadership.start();
    t.state.answer = () => new Error('connect ECONNREFUSED 127.0.0.1:5432');
    await t.leadership.tick();
    await t.leadership.tick();
    assert.equal(t.leadership.isLeader, true, 'still inside the lease');
    assert.equal(t.lines.filter((l) => /the database is unreachable/.test(l.msg)).length, 1, 'the same error is logged once');
    // No renewal gets through: the expiry timer fires at the lease's end, even if no tick runs then.
    t.clock.advance(TTL);
    assert.equal(t.leadership.isLeader, false);
    assert.match(t.events.at(-1)!, /^lose: the lease ran out before a renewal got through/);
    t.state.answer = () => ({ holder: 'me', generation: 1, expiresAt: 0, acquiredAt: 0, ttlMs: TTL });
    await t.leadership.tick();
    assert.ok(t.lines.some((l) => /reachable again/.test(l.msg)));
    assert.equal(t.leadership.isLeader, true, 'leads again once the database is back and the lease is still its own');
    await t.leadership.stop();
  });

  test('a new generation of its own (its lease ran out and was taken back): it loses, then gains, so running work is abandoned', async () => {
    const t = setup();
    await t.leadership.start();
    t.state.answer = () => ({ holder: 'me', generation: 2, expiresAt: 0, acquiredAt: 0, ttlMs: TTL });
    await t.leadership.tick();
    assert.deepEqual(t.events.slice(-2).map((e) => e.split(':')[0]), ['lose', 'gain 2']);
    await t.leadership.stop();
  });

  test('stop gives the lease up and retires the replica', async () => {
    const t = setup();
    await t.leadership.start();
    await t.leadership.stop();
    assert.equal(t.fence(), null);
    assert.equal(t.calls.at(-1), 'retire');
    assert.match(t.events.at(-1)!, /^lose: shutting down/);
  });

  test('SQLite (one controller): always leads, no timers, no heartbeat', async () => {
    const t = setup(false);
    await t.leadership.start();
    t.clock.advance(10 * TTL);
    assert.equal(t.leadership.isLeader, true);
    assert.deepEqual(t.clock.pending(), []);
    assert.equal(t.calls.includes('heartbeat'), false);
    await t.leadership.stop();
  });
});
