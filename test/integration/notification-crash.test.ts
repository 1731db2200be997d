/**
 * kill -9 of the controller in the middle of webhook deliveries loses nothing: a send whose answer was never
 * recorded is sent again once its lease runs out, so every notification reaches the receiver at least once, and
 * a receiver that dedupes by key sees each exactly once.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { expect, jest, test } from '@jest/globals';
import { createClient } from '../../controller/api/client';
import { loadSecretBox } from '../../controller/notify/secret-box';
import { insertNotification } from '../../controller/store/outbox';
import { openStore } from '../../controller/store/store';
import { exampleDrivers } from '../helpers/controller';
import { exited, startControllerProcess } from '../helpers/controller-process';
import { waitFor } from '../helpers/wait';
import { WebhookReceiver } from '../helpers/webhook-receiver';

jest.setTimeout(90_000);

const SECRET = 'crash-test-secret-51c0ffee';
const COUNT = 40;

test('kill -9 mid-delivery, then a restart: every notification delivered, each key at least once', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-notify-crash-'));
  const db = path.join(dir, 'prewarm.db');
  // A receiver slow enough that the kill lands while sends are in flight.
  const hook = await WebhookReceiver.start({ secret: SECRET, behaviour: { kind: 'slow', ms: 300 } });
  try {
    // The target and the notifications are in the database before the controller starts, as after a busy tick.
    const store = await openStore(`sqlite:${db}`, { clock: { now: () => Date.now() } });
    const box = loadSecretBox(db, {});
    await store.putNotificationTarget(
      { name: 'hook', url: hook.url, events: ['*'], format: 'json', enabled: true, sealedSecret: box.seal(SECRET), secretFingerprint: box.fingerprint(SECRET) },
      Date.now(),
    );
    const keys: string[] = [];
    for (let i = 0; i < COUNT; i++) {
      const key = `crash:${i}`;
      keys.push(key);
      await insertNotification(
        store.db,
        { key, event: 'workspace_autostopped', payload: { subject: { type: 'workspace', id: `w${i}` }, occurred_at: new Date().toISOString(), data: {} } },
        Date.now(),
      );
    }
    await store.close();

    const options = { database: `sqlite:${db}`, listen: '127.0.0.1:0', opsListen: '127.0.0.1:0', driverDir: exampleDrivers, notifyTimeoutMs: 1_000 };
    // The key comes from the key file beside the database, as the test sealed the secret with it.
    const { PREWARM_SECRET_KEY: _unused, ...inherited } = process.env;
    const env = { ...inherited, PREWARM_TOKEN: 'notify-crash-token', PREWARM_STATE_DIR: path.join(dir, 'state') };
    const first = await startControllerProcess(options, env);
    await hook.waitForRequests(6, 20_000);
    first.child.kill('SIGKILL');
    await exited(first.child);
    const beforeRestart = hook.keys().length;
    expect(beforeRestart).toBeLessThan(COUNT);

    await hook.set({ kind: 'ok' });
    const second = await startControllerProcess(options, env);
    const api = createClient({ endpoint: `127.0.0.1:${second.apiPort}`, token: 'notify-crash-token' });
    try {
      // The sends cut off by the kill hold their leases (timeout + 5 s) and then go out again.
      await waitFor('every delivery recorded as delivered', async () => (await api.listDeliveries({ state: 'delivered', limit: 1000 })).length === COUNT, 30_000);
    } finally {
      api.close();
    }
    second.child.kill('SIGTERM');
    await exited(second.child);

    expect(hook.keys().sort()).toEqual([...keys].sort());
    const times = new Map<string, number>();
    for (const r of hook.requests) times.set(String(r.headers['x-prewarm-delivery']), (times.get(String(r.headers['x-prewarm-delivery'])) ?? 0) + 1);
    // The ones in flight at the kill were received but never recorded: they arrive twice, and the key tells.
    expect([...times.values()].filter((n) => n > 1).length).toBeGreaterThan(0);
    expect(hook.verified.length).toBe(hook.requests.length);
    const after = await openStore(`sqlite:${db}`, { clock: { now: () => Date.now() } });
    try {
      const rows = await after.listDeliveries({ limit: 1000 });
      expect(rows).toHaveLength(COUNT);
      expect(rows.filter((r) => r.state !== 'delivered').map((r) => `${r.key} ${r.state} ${r.lastError}`)).toEqual([]);
    } finally {
      await after.close();
    }
  } finally {
    await hook.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
