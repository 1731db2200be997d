/**
 * The lifecycle core works on UTC instants only: its decisions, dedupe keys, payloads and explain details must be
 * identical under any process time zone. The zone cannot be changed inside a jest worker (a test's process.env is
 * a copy), so children run the same probe under zones with DST rules of every kind and the outputs are compared.
 */
import { describe, test } from '@jest/globals';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { probe } from './tz-probe';

const ROOT = path.resolve(__dirname, '../../..');
const PROBE = path.resolve(__dirname, 'tz-probe');

function probeUnder(zone: string): { zone: string; output: string } {
  const script = `const { probe } = require(${JSON.stringify(PROBE)});
process.stdout.write(JSON.stringify({ zone: Intl.DateTimeFormat().resolvedOptions().timeZone, output: probe() }));`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], {
    encoding: 'utf8',
    cwd: ROOT,
    env: { ...process.env, TZ: zone },
    maxBuffer: 64 * 1024 * 1024,
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { zone: string; output: string };
}

describe('the lifecycle core is independent of the process time zone', () => {
  const here = probe();

  test.each(['America/New_York', 'Europe/Berlin', 'Australia/Lord_Howe', 'Pacific/Chatham'])(
    'TZ=%s gives the same plans, keys, payloads and explanations',
    (zone) => {
      const child = probeUnder(zone);
      assert.equal(child.zone, zone, 'the child did not run under the zone');
      assert.equal(child.output, here);
    },
    30_000,
  );
});
