/**
 * What the exec-* driver tests share: throwaway driver dirs with an ExecDriver over them, driver scripts, the request
 * the drivers are given, and an outcome assertion. A test file that makes dirs calls removeTmpDirs from afterAll.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ExecDriver, describeOutcome, type DriverOutcome, type DriverRequest, type ExecDriverOptions } from '../../../controller/drivers/exec';
import { driverRequest } from '../../helpers/fixtures';

const tmpDirs: string[] = [];

export function tmpDir(prefix: string): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  tmpDirs.push(d);
  return d;
}

/** Removes every dir tmpDir made. */
export function removeTmpDirs(): void {
  for (const d of tmpDirs.splice(0)) fs.rmSync(d, { recursive: true, force: true });
}

/** A driver dir plus a capture dir that test drivers write what they saw into (passed as $CAPTURE). */
export function setup(extra: Partial<ExecDriverOptions> = {}): { dir: string; capture: string; driver: ExecDriver; write: (name: string, body: string, mode?: number) => string } {
  const dir = tmpDir('prewarm-drivers-');
  const capture = tmpDir('prewarm-capture-');
  const driver = new ExecDriver({ driverDir: dir, env: { CAPTURE: capture }, ...extra });
  const write = (name: string, body: string, mode = 0o755): string => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, body, { mode });
    fs.chmodSync(file, mode); // the umask may have removed bits
    return file;
  };
  return { dir, capture, driver, write };
}

export const sh = (body: string): string => `#!/bin/sh\n${body}\n`;
export const node = (body: string): string => `#!${process.execPath}\n${body}\n`;

/** A retry (attempt 2) for template version 3 with some config, so that every field has a value worth checking. */
export function request(op: DriverRequest['op'] = 'create', over: Partial<DriverRequest> = {}): DriverRequest {
  return driverRequest(op, { template: { name: 'devbox', version: 3 }, config: { image: 'node:20' }, attempt: 2, ...over });
}

export function assertKind<K extends DriverOutcome['kind']>(o: DriverOutcome, kind: K): asserts o is Extract<DriverOutcome, { kind: K }> {
  assert.equal(o.kind, kind, `expected ${kind}, got ${describeOutcome(o)}`);
}
