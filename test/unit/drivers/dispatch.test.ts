/** Which driver a template's `driver` name reaches, and the put-time check of each kind. */
import { describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BuiltinDriver } from '../../../controller/drivers/builtin';
import { DriverDispatch } from '../../../controller/drivers/dispatch';
import { ExecDriver, type DriverOutcome, type DriverRequest } from '../../../controller/drivers/exec';
import { ValidationError } from '../../../controller/domain/errors';
import { driverRequest } from '../../helpers/fixtures';

class FakeBuiltin implements BuiltinDriver {
  readonly calls: DriverRequest[] = [];
  killed: string[] = [];
  running = 0;
  constructor(private readonly answer: Record<string, string>) {}
  async run(req: DriverRequest): Promise<DriverOutcome> {
    this.calls.push(req);
    return { kind: 'ok', attributes: this.answer, stderr: '', exitCode: 0, durationMs: 0 };
  }
  checkConfig(config: Readonly<Record<string, string>>): void {
    if (!config['url']) throw ValidationError.field(['config', 'url'], 'is required');
  }
  killAll(): void {
    this.killed.push('all');
  }
  killRunning(): void {
    this.killed.push('running');
  }
}

const driverDir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-dispatch-'));
fs.writeFileSync(path.join(driverDir, 'echo-driver'), '#!/bin/sh\necho \'{"attributes": {"kind": "exec"}}\'\n', { mode: 0o755 });

function dispatch(builtin: Partial<Record<'terraform' | 'http', BuiltinDriver>> = {}): DriverDispatch {
  return new DriverDispatch({
    exec: new ExecDriver({ driverDir }),
    builtin,
    missingReason: { terraform: 'the controller was started without --modules-dir' },
    driverDir,
  });
}

function fieldOf(fn: () => void): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof ValidationError) return `${err.errors[0]!.path.join('.')}: ${err.errors[0]!.message}`;
    throw err;
  }
  return 'accepted';
}

describe('DriverDispatch', () => {
  test('built-in names reach their driver, other names the exec program of that name', async () => {
    const http = new FakeBuiltin({ kind: 'http' });
    const d = dispatch({ http });
    expect(await d.run('http', driverRequest('create'))).toMatchObject({ kind: 'ok', attributes: { kind: 'http' } });
    expect(http.calls).toHaveLength(1);
    expect(await d.run('echo-driver', driverRequest('create'))).toMatchObject({ kind: 'ok', attributes: { kind: 'exec' } });
  });

  test('a built-in kind this controller does not have is retryable at run time and refused at put time, saying why', async () => {
    const d = dispatch();
    const outcome = await d.run('terraform', driverRequest('create'));
    expect(outcome).toMatchObject({ kind: 'retryable', message: 'driver "terraform" create cannot run: the controller was started without --modules-dir' });
    expect(fieldOf(() => d.checkTemplate('terraform', { module: 'm' }))).toBe('driver: driver "terraform" is not available: the controller was started without --modules-dir');
    expect(fieldOf(() => d.checkTemplate('http', {}))).toBe('driver: driver "http" is not available: it is not configured on this controller');
  });

  test("put-time checks: the built-in kind's config check, the exec program's existence", () => {
    const d = dispatch({ http: new FakeBuiltin({}) });
    expect(fieldOf(() => d.checkTemplate('http', {}))).toBe('config.url: is required');
    expect(fieldOf(() => d.checkTemplate('http', { url: 'x' }))).toBe('accepted');
    expect(fieldOf(() => d.checkTemplate('echo-driver', {}))).toBe('accepted');
    expect(fieldOf(() => d.checkTemplate('nope', {}))).toMatch(/^driver: no program named "nope"/);
  });

  test('kills reach every kind', () => {
    const http = new FakeBuiltin({});
    const terraform = new FakeBuiltin({});
    const d = dispatch({ http, terraform });
    d.killRunning();
    d.killAll();
    expect(http.killed).toEqual(['running', 'all']);
    expect(terraform.killed).toEqual(['running', 'all']);
  });
});
