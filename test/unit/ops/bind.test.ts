import assert from 'node:assert/strict';
import { describe, test } from '@jest/globals';
import { bindOpsServer, opsExposureWarning } from '../../../controller/ops/server';

describe('ops server', () => {
  test('bound but not serving: /healthz 200, /readyz and /metrics 503 until serve()', async () => {
    const ops = await bindOpsServer('127.0.0.1:0');
    const get = async (p: string) => {
      const res = await fetch(`http://127.0.0.1:${ops.port}${p}`);
      return { status: res.status, body: await res.text() };
    };
    try {
      assert.equal((await get('/healthz')).status, 200);
      assert.deepEqual(await get('/readyz'), { status: 503, body: '{"ready":false,"checks":{"started":false}}\n' });
      assert.equal((await get('/metrics')).status, 503);
      ops.serve({ readiness: [{ name: 'store', check: async () => true }], metrics: async () => 'm 1\n' });
      assert.deepEqual(await get('/readyz'), { status: 200, body: '{"ready":true,"checks":{"store":true}}\n' });
      assert.deepEqual(await get('/metrics'), { status: 200, body: 'm 1\n' });
    } finally {
      await ops.close();
    }
  });

  test('a non-loopback address gets a warning saying what is exposed and how to restrict it; loopback none', () => {
    for (const listen of ['127.0.0.1:7421', 'localhost:7421', '[::1]:7421']) assert.equal(opsExposureWarning(listen), undefined, listen);
    for (const listen of ['0.0.0.0:7421', '[::]:7421', '10.0.0.5:7421']) {
      const w = opsExposureWarning(listen);
      assert.ok(w, listen);
      assert.match(w.msg, /without authentication/);
      assert.match(w.msg, /\/metrics names every template and preset/);
      assert.match(w.msg, /--ops-listen 127\.0\.0\.1:PORT/);
      assert.equal(w.fields.ops, listen);
    }
  });
});
