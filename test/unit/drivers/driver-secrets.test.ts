import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DriverSecrets, parseSecretsFile, secretEnvName } from '../../../controller/drivers/secrets';

const VALUE = 'sk-live-0123456789abcdef';
let dir: string;
let file: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-secrets-'));
  file = path.join(dir, 'secrets.json');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

/** Writes the file and gives it a distinct mtime, so a rewrite within one timestamp tick still reads as a change. */
let tick = 1_700_000_000;
function write(text: string, mode = 0o600): void {
  fs.writeFileSync(file, text, { mode });
  fs.chmodSync(file, mode);
  tick += 10;
  fs.utimesSync(file, tick, tick);
}

function value(s: DriverSecrets, name: string): string {
  const r = s.lookup(name);
  if (!r.ok) throw new Error(r.reason);
  return r.value;
}

describe('DriverSecrets', () => {
  test('names resolve from the file first, then from PREWARM_SECRET_<NAME>', () => {
    write(JSON.stringify({ platform: VALUE, 'db.main-key': 'from-file' }));
    const env = { PREWARM_SECRET_PLATFORM: 'from-env', PREWARM_SECRET_OTHER_ONE_X: 'env-only' };
    const s = DriverSecrets.load({ file, env });
    expect(s.lookup('platform')).toEqual({ ok: true, value: VALUE, source: `secrets file ${file}` });
    expect(value(s, 'db.main-key')).toBe('from-file');
    expect(s.lookup('other.one-x')).toEqual({ ok: true, value: 'env-only', source: 'environment variable PREWARM_SECRET_OTHER_ONE_X' });
    expect(secretEnvName('a.b-c')).toBe('PREWARM_SECRET_A_B_C');
  });

  test('without a file only the environment answers; an empty variable is not a secret', () => {
    const s = DriverSecrets.load({ env: { PREWARM_SECRET_X: VALUE, PREWARM_SECRET_EMPTY: '' } });
    expect(value(s, 'x')).toBe(VALUE);
    const r = s.lookup('empty');
    expect(r).toEqual({ ok: false, reason: 'secret "empty" is not defined: the controller has no --secrets-file and the environment variable PREWARM_SECRET_EMPTY is not set' });
    expect(s.sources('empty')).toMatch(/PREWARM_SECRET_EMPTY/);
    expect(s.looseMode()).toBe(false);
    expect(s.fileProblem()).toBeNull();
  });

  test('a name that is not defined, or not a name, says where secrets come from', () => {
    write(JSON.stringify({ a: VALUE }));
    const s = DriverSecrets.load({ file, env: {} });
    const r = s.lookup('missing');
    expect(r.ok).toBe(false);
    expect(!r.ok && r.reason).toBe(`secret "missing" is not defined: it is not in the secrets file ${file} and the environment variable PREWARM_SECRET_MISSING is not set`);
    expect(s.lookup('1bad name')).toMatchObject({ ok: false, reason: expect.stringMatching(/not a valid secret name/) });
    expect(s.sources('missing')).toBe(`add it to the secrets file ${file} or set the environment variable PREWARM_SECRET_MISSING on the controller`);
  });

  test("PREWARM_SECRET_KEY, the controller's sealing key, is never a driver secret", () => {
    const s = DriverSecrets.load({ env: { PREWARM_SECRET_KEY: 'a'.repeat(64) } });
    for (const name of ['key', 'KEY', 'Key']) {
      const r = s.lookup(name);
      expect(r.ok).toBe(false);
      expect(r.ok ? '' : r.reason).toMatch(/PREWARM_SECRET_KEY is the controller's own key and never a driver secret/);
      expect(JSON.stringify(r)).not.toContain('aaaa');
    }
  });

  test('a bad file fails load with the file and the reason, never a value', () => {
    expect(() => DriverSecrets.load({ file, env: {} })).toThrow(`secrets file ${file}: cannot read it: no such file (ENOENT)`);

    write(`{\n  "a": "${VALUE}",\n  "b": "${VALUE}" x\n}`);
    let err = (() => {
      try {
        DriverSecrets.load({ file, env: {} });
      } catch (e) {
        return (e as Error).message;
      }
      return '';
    })();
    expect(err).toBe(`secrets file ${file}: not valid JSON at line 3, column ${VALUE.length + 11}: expected "," or "}" after property value`);
    expect(err).not.toContain(VALUE);

    const cases: [string, RegExp][] = [
      [JSON.stringify([VALUE]), /must hold one JSON object .* got an array/],
      [JSON.stringify({ a: 42 }), /the value of "a" must be a string, got number/],
      [JSON.stringify({ a: '' }), /the value of "a" is empty/],
      [JSON.stringify({ a: 'x'.repeat(4097) }), /the value of "a" is longer than 4096 bytes/],
      [JSON.stringify({ 'no spaces': VALUE }), /"no spaces" is not a valid secret name/],
      [`{"a": "${VALUE}`, /line 1, column \d+: unterminated string/],
      ['', /line 1, column 1: unexpected end of input/],
    ];
    for (const [text, want] of cases) {
      write(text);
      try {
        DriverSecrets.load({ file, env: {} });
        throw new Error(`loaded ${text}`);
      } catch (e) {
        err = (e as Error).message;
      }
      expect(err).toMatch(want);
      expect(err.startsWith(`secrets file ${file}: `)).toBe(true);
      expect(err).not.toContain(VALUE);
    }
    fs.rmSync(file);
    fs.mkdirSync(file);
    expect(() => DriverSecrets.load({ file, env: {} })).toThrow(`secrets file ${file}: not a regular file`);
  });

  test('a rotation is picked up at the next lookup, without a restart', () => {
    write(JSON.stringify({ platform: 'old-secret' }));
    const s = DriverSecrets.load({ file, env: {} });
    expect(value(s, 'platform')).toBe('old-secret');
    write(JSON.stringify({ platform: 'new-secret' }));
    expect(value(s, 'platform')).toBe('new-secret');
    // An atomic replace (write elsewhere, rename over) is a new inode: seen too, even with the same size and mtime.
    const tmp = `${file}.tmp`;
    fs.writeFileSync(tmp, JSON.stringify({ platform: 'newer-scrt' }), { mode: 0o600 });
    fs.utimesSync(tmp, tick, tick);
    fs.renameSync(tmp, file);
    expect(value(s, 'platform')).toBe('newer-scrt');
  });

  test('a file broken later keeps the last good values and reports the problem on use', () => {
    write(JSON.stringify({ platform: VALUE }));
    const s = DriverSecrets.load({ file, env: { PREWARM_SECRET_FROM_ENV: 'env-value' } });
    write(`{"platform": "${VALUE}", `);
    const r = s.lookup('platform');
    expect(r).toEqual({ ok: true, value: VALUE, source: `secrets file ${file}`, warning: expect.stringMatching(/^secrets file .*: not valid JSON at line 1, column \d+/) });
    expect(r.ok && r.warning).not.toContain(VALUE);
    expect(s.fileProblem()).toMatch(/not valid JSON/);
    // The environment still answers; a name found nowhere says the file is broken as well.
    expect(s.lookup('from.env')).toMatchObject({ ok: true, value: 'env-value', warning: expect.stringMatching(/not valid JSON/) });
    const missing = s.lookup('new-name');
    expect(!missing.ok && missing.reason).toMatch(/is not defined: .* \(and the secrets file cannot be read right now: secrets file .*: not valid JSON/);

    fs.rmSync(file);
    expect(s.lookup('platform')).toMatchObject({ ok: true, value: VALUE, warning: `secrets file ${file}: cannot read it: no such file (ENOENT)` });
    write(JSON.stringify({ platform: 'fixed' }));
    expect(s.lookup('platform')).toEqual({ ok: true, value: 'fixed', source: `secrets file ${file}` });
    expect(s.fileProblem()).toBeNull();
  });

  test('looseMode: a file group or others can read', () => {
    write(JSON.stringify({ a: VALUE }), 0o600);
    const s = DriverSecrets.load({ file, env: {} });
    expect(s.looseMode()).toBe(false);
    fs.chmodSync(file, 0o640);
    expect(s.looseMode()).toBe(true);
    fs.chmodSync(file, 0o604);
    expect(s.looseMode()).toBe(true);
  });
});

describe('parsing', () => {
  test('a BOM is fine; an empty object is a valid (empty) file', () => {
    expect(parseSecretsFile(`\uFEFF${JSON.stringify({ a: 'v' })}`)).toEqual({ ok: true, values: new Map([['a', 'v']]) });
    expect(parseSecretsFile('{}')).toEqual({ ok: true, values: new Map() });
  });

  test('syntax errors are located without quoting the text, which may be a secret', () => {
    for (const [text, where] of [
      ['{"a": tru}', /^line 1, column 7: /],
      ['{"a": "x"}\n{}', /^line 2, column 1: unexpected text after the JSON value$/],
      ['{"a": secretvalue}', /^line 1, column 7: unexpected word \(strings need double quotes/],
      ['{"a": "x\ny"}', /^line 1, column 9: control character in string/],
      ['[1, 2', /^line 1, column 6: unexpected end of input$/],
    ] as const) {
      const r = parseSecretsFile(text);
      expect(r.ok).toBe(false);
      const reason = r.ok ? '' : r.reason;
      expect(reason.replace(/^not valid JSON at /, '')).toMatch(where);
      expect(reason).not.toContain('secretvalue');
      expect(reason).not.toContain('tru}');
    }
  });
});
