import { afterEach, beforeEach, describe, expect, test } from '@jest/globals';
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { loadSecretBox, loadSharedSecretBox, parseSecretKey, SecretBox } from '../../../controller/notify/secret-box';

const SECRET = 'whsec-0123456789abcdef';
let dir: string;
let db: string;

beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'prewarm-secret-box-'));
  db = path.join(dir, 'prewarm.db');
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('SecretBox', () => {
  test('seals to a versioned text that opens back and never contains the secret', () => {
    const box = SecretBox.random();
    const sealed = box.seal(SECRET);
    expect(sealed).toMatch(/^v1:[A-Za-z0-9+/]+=*$/);
    expect(sealed).not.toContain(SECRET);
    expect(box.open(sealed)).toBe(SECRET);
    // A fresh IV each time: equal secrets do not give equal sealed texts.
    expect(box.seal(SECRET)).not.toBe(sealed);
    expect(box.open(box.seal('ünïcödé secret ✓✓✓✓✓✓'))).toBe('ünïcödé secret ✓✓✓✓✓✓');
  });

  test('fingerprints are stable per key, differ per secret and per key, and are not a plain hash', () => {
    const key = randomBytes(32);
    const a = new SecretBox(key);
    const b = new SecretBox(key);
    expect(a.fingerprint(SECRET)).toMatch(/^[0-9a-f]{64}$/);
    expect(a.fingerprint(SECRET)).toBe(b.fingerprint(SECRET));
    expect(a.fingerprint(SECRET)).not.toBe(a.fingerprint(`${SECRET}x`));
    expect(SecretBox.random().fingerprint(SECRET)).not.toBe(a.fingerprint(SECRET));
  });

  test('a value sealed under another key: the error says the key changed and quotes nothing secret', () => {
    const sealed = SecretBox.random().seal(SECRET);
    const other = new SecretBox(randomBytes(32), 'PREWARM_SECRET_KEY');
    let message = '';
    try {
      other.open(sealed);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/sealed under another key/);
    expect(message).toMatch(/PREWARM_SECRET_KEY/);
    expect(message).toMatch(/key file/);
    expect(message).not.toContain(SECRET);
    expect(message).not.toContain(sealed.slice(3, 20));
  });

  test('damaged or unknown sealed texts are refused clearly', () => {
    const box = SecretBox.random();
    expect(() => box.open('plain-text-secret')).toThrow(/not in a known sealed format/);
    expect(() => box.open('v2:AAAA')).toThrow(/not in a known sealed format/);
    expect(() => box.open('v1:AAAA')).toThrow(/damaged/);
    const sealed = box.seal(SECRET);
    const flipped = Buffer.from(sealed.slice(3), 'base64');
    flipped[flipped.length - 1] ^= 1;
    expect(() => box.open(`v1:${flipped.toString('base64')}`)).toThrow(/another key/);
  });

  test('a key of the wrong size is a programming error', () => {
    expect(() => new SecretBox(randomBytes(16))).toThrow(/32 bytes/);
  });
});

describe('parseSecretKey', () => {
  test('accepts 64 hex characters and base64 of at least 32 bytes', () => {
    const key = randomBytes(32);
    expect(parseSecretKey(key.toString('hex'))).toEqual(key);
    expect(parseSecretKey(key.toString('hex').toUpperCase())).toEqual(key);
    expect(parseSecretKey(` ${key.toString('hex')}\n`)).toEqual(key);
    expect(parseSecretKey(key.toString('base64'))).toEqual(key);
    expect(parseSecretKey(key.toString('base64url'))).toEqual(key);
    const long = parseSecretKey(randomBytes(48).toString('base64'));
    expect(long).toHaveLength(32);
  });

  test('refuses short, malformed and empty keys', () => {
    expect(parseSecretKey('abc')).toBeNull();
    expect(parseSecretKey(randomBytes(16).toString('hex'))).toBeNull();
    expect(parseSecretKey(randomBytes(31).toString('base64'))).toBeNull();
    expect(parseSecretKey('not a key at all, not base64!')).toBeNull();
    expect(parseSecretKey('')).toBeNull();
  });
});

describe('loadSecretBox', () => {
  test('PREWARM_SECRET_KEY (hex or base64) wins and no key file is written', () => {
    const key = randomBytes(32);
    const fromHex = loadSecretBox(db, { PREWARM_SECRET_KEY: key.toString('hex') });
    const fromB64 = loadSecretBox(db, { PREWARM_SECRET_KEY: key.toString('base64') });
    expect(fromB64.open(fromHex.seal(SECRET))).toBe(SECRET);
    expect(fs.existsSync(`${db}.key`)).toBe(false);
  });

  test('a bad PREWARM_SECRET_KEY names the variable and does not echo the value', () => {
    const bad = 'my-secret-passphrase';
    expect(() => loadSecretBox(db, { PREWARM_SECRET_KEY: bad })).toThrow(/PREWARM_SECRET_KEY must be 64 hex characters or the base64 of at least 32 bytes/);
    try {
      loadSecretBox(db, { PREWARM_SECRET_KEY: bad });
    } catch (err) {
      expect((err as Error).message).not.toContain(bad);
    }
  });

  test('without the variable a key file is created with mode 0600 and read back on the next start', () => {
    const first = loadSecretBox(db, {});
    const file = `${db}.key`;
    const st = fs.statSync(file);
    if (process.platform !== 'win32') expect(st.mode & 0o777).toBe(0o600);
    expect(fs.readFileSync(file, 'utf8')).toMatch(/^[0-9a-f]{64}\n$/);
    const sealed = first.seal(SECRET);
    const second = loadSecretBox(db, {});
    expect(second.open(sealed)).toBe(SECRET);
    expect(second.fingerprint(SECRET)).toBe(first.fingerprint(SECRET));
    // An empty variable counts as unset.
    expect(loadSecretBox(db, { PREWARM_SECRET_KEY: '' }).open(sealed)).toBe(SECRET);
  });

  (process.platform === 'win32' ? test.skip : test)('a key file readable by group or others is refused with the chmod to run', () => {
    loadSecretBox(db, {});
    const file = `${db}.key`;
    fs.chmodSync(file, 0o644);
    expect(() => loadSecretBox(db, {})).toThrow(`chmod 600 ${file}`);
    fs.chmodSync(file, 0o640);
    expect(() => loadSecretBox(db, {})).toThrow(/can be read by other users \(mode 0640\)/);
    fs.chmodSync(file, 0o600);
    expect(() => loadSecretBox(db, {})).not.toThrow();
  });

  test('a key file with bad content is refused, naming the file', () => {
    const file = `${db}.key`;
    fs.writeFileSync(file, 'garbage\n', { mode: 0o600 });
    expect(() => loadSecretBox(db, {})).toThrow(`the secret key file ${file} does not hold a key`);
    fs.writeFileSync(file, '', { mode: 0o600 });
    expect(() => loadSecretBox(db, {})).toThrow(/does not hold a key/);
  });

  test('a value sealed under the key file no longer opens after the key changes, and the error says so', () => {
    const sealed = loadSecretBox(db, {}).seal(SECRET);
    const other = loadSecretBox(db, { PREWARM_SECRET_KEY: randomBytes(32).toString('hex') });
    expect(() => other.open(sealed)).toThrow(/the secret key changed: check PREWARM_SECRET_KEY or the key file; this controller uses PREWARM_SECRET_KEY/);
  });

  test('an in-memory database gets a random key and writes no file', () => {
    const a = loadSecretBox(':memory:', {});
    const b = loadSecretBox('', {});
    expect(a.open(a.seal(SECRET))).toBe(SECRET);
    expect(() => b.open(a.seal(SECRET))).toThrow(/another key/);
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  test('a key file that cannot be created is a clear error', () => {
    const missing = path.join(dir, 'no-such-dir', 'prewarm.db');
    expect(() => loadSecretBox(missing, {})).toThrow(/cannot create the secret key file .*no-such-dir.*PREWARM_SECRET_KEY/);
  });
});

describe('loadSharedSecretBox (replicas on PostgreSQL)', () => {
  test('the key comes from PREWARM_SECRET_KEY only: two replicas with the same key open each other\'s secrets', () => {
    const key = 'ab'.repeat(32);
    const a = loadSharedSecretBox({ PREWARM_SECRET_KEY: key });
    const b = loadSharedSecretBox({ PREWARM_SECRET_KEY: key });
    expect(b.open(a.seal(SECRET))).toBe(SECRET);
    expect(b.fingerprint(SECRET)).toBe(a.fingerprint(SECRET));
  });

  test('without it the controller runs, and sealing or opening a secret says what to set', () => {
    const box = loadSharedSecretBox({});
    expect(() => box.seal(SECRET)).toThrow(/PREWARM_SECRET_KEY on a PostgreSQL database: set the same key on every replica/);
    expect(() => box.open('v1:AAAA')).toThrow(/PREWARM_SECRET_KEY/);
    expect(() => box.fingerprint(SECRET)).toThrow(/PREWARM_SECRET_KEY/);
  });
});
