/**
 * Webhook secrets at rest. The controller must sign with a target's secret, so the secret is kept, but sealed
 * (AES-256-GCM) under a key that lives outside the database: a copy of the database file alone reveals no secret.
 * The key comes from PREWARM_SECRET_KEY, or else from `<database file>.key` (created on first start, mode 0600).
 */
import { createCipheriv, createDecipheriv, createHmac, randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import type { SecretSealer } from '../service/notification-service';

const VERSION = 'v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const KEY_BYTES = 32;
export const SECRET_KEY_ENV = 'PREWARM_SECRET_KEY';

/** Seals, opens and fingerprints target secrets under one 32-byte key. */
export class SecretBox implements SecretSealer {
  private readonly key: Buffer;
  private readonly fingerprintKey: Buffer;

  /** `origin` says where the key came from, for the message shown when it no longer opens what was stored. */
  constructor(
    key: Buffer,
    readonly origin: string = 'an in-process key',
  ) {
    if (key.length !== KEY_BYTES) throw new Error(`a secret key must be ${KEY_BYTES} bytes, got ${key.length}`);
    this.key = Buffer.from(key);
    // A separate key for fingerprints: a fingerprint must say nothing about the sealing key, and equal secrets must
    // compare equal across puts (a random IV makes sealed texts differ every time).
    this.fingerprintKey = createHmac('sha256', this.key).update('prewarm secret fingerprint v1').digest();
  }

  /** A fresh random key (databases in memory: nothing outlives the process, so nothing needs the key later). */
  static random(): SecretBox {
    return new SecretBox(randomBytes(KEY_BYTES), 'an in-memory database\'s key');
  }

  /** "v1:" + base64(iv | tag | ciphertext); a new random IV each time. */
  seal(plain: string): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const ciphertext = Buffer.concat([cipher.update(plain, 'utf8'), cipher.final()]);
    return `${VERSION}:${Buffer.concat([iv, cipher.getAuthTag(), ciphertext]).toString('base64')}`;
  }

  /** Hex HMAC-SHA256 of the secret under a key derived from the sealing key. */
  fingerprint(plain: string): string {
    return createHmac('sha256', this.fingerprintKey).update(plain, 'utf8').digest('hex');
  }

  /** The secret in the clear. Throws (without quoting anything sealed) when the text is damaged or the key changed. */
  open(sealed: string): string {
    const sep = sealed.indexOf(':');
    const version = sep < 0 ? '' : sealed.slice(0, sep);
    if (version !== VERSION) {
      throw new Error(`a stored webhook secret is not in a known sealed format (expected ${VERSION}:…); put the target again with its secret`);
    }
    const raw = Buffer.from(sealed.slice(sep + 1), 'base64');
    if (raw.length < IV_BYTES + TAG_BYTES) throw new Error('a stored webhook secret is damaged (too short); put the target again with its secret');
    try {
      const decipher = createDecipheriv('aes-256-gcm', this.key, raw.subarray(0, IV_BYTES));
      decipher.setAuthTag(raw.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
      return Buffer.concat([decipher.update(raw.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      // GCM cannot tell a changed key from damaged bytes; a changed key is by far the likelier cause.
      throw new Error(
        `cannot open a stored webhook secret: it was sealed under another key (the secret key changed: check ${SECRET_KEY_ENV} or the key file; ` +
          `this controller uses ${this.origin}); restore the old key or put the target again with its secret`,
      );
    }
  }
}

/** 64 hex characters, or base64 (standard or URL-safe) of at least 32 bytes; null when it is neither. */
export function parseSecretKey(text: string): Buffer | null {
  const v = text.trim();
  if (/^[0-9a-fA-F]{64}$/.test(v)) return Buffer.from(v, 'hex');
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(v)) return null;
  const bytes = Buffer.from(v.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (bytes.length < KEY_BYTES) return null;
  // A longer key is accepted and condensed, so any strong enough value works as it is.
  return bytes.length === KEY_BYTES ? bytes : createHmac('sha256', 'prewarm secret key v1').update(bytes).digest();
}

/**
 * The controller's secret box: the key from PREWARM_SECRET_KEY, else from `<databaseFile>.key` (created with 32 random
 * bytes, mode 0600, on first use; read back afterwards). A database in memory gets a random key.
 */
export function loadSecretBox(databaseFile: string, env: NodeJS.ProcessEnv): SecretBox {
  return keyFromEnv(env) ?? fileKeyBox(databaseFile);
}

/**
 * The secret box of a replica of a shared database (PostgreSQL): every replica must open what any replica sealed,
 * so the key can only come from PREWARM_SECRET_KEY, the same on all of them. Without it the controller runs and only
 * what needs a webhook secret fails, saying what to set.
 */
export function loadSharedSecretBox(env: NodeJS.ProcessEnv): SecretBox {
  return keyFromEnv(env) ?? new MissingKeyBox();
}

function keyFromEnv(env: NodeJS.ProcessEnv): SecretBox | undefined {
  const fromEnv = env[SECRET_KEY_ENV];
  if (fromEnv !== undefined && fromEnv !== '') {
    const key = parseSecretKey(fromEnv);
    // The value is never quoted: it is the key, or a typo of it.
    if (!key) throw new Error(`${SECRET_KEY_ENV} must be 64 hex characters or the base64 of at least 32 bytes (make one with: openssl rand -hex 32)`);
    return new SecretBox(key, SECRET_KEY_ENV);
  }
  return undefined;
}

function fileKeyBox(databaseFile: string): SecretBox {
  if (databaseFile === '' || databaseFile === ':memory:') return SecretBox.random();
  const file = `${databaseFile}.key`;
  const created = createKeyFile(file);
  if (created) return new SecretBox(created, `the key file ${file}`);
  return new SecretBox(readKeyFile(file), `the key file ${file}`);
}

/** Creates the key file exclusively (two starts racing cannot both write one); null when it already exists. */
function createKeyFile(file: string): Buffer | null {
  const key = randomBytes(KEY_BYTES);
  let fd: number;
  try {
    fd = fs.openSync(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return null;
    throw new Error(`cannot create the secret key file ${file}: ${(err as Error).message} (or set ${SECRET_KEY_ENV})`);
  }
  try {
    fs.writeSync(fd, `${key.toString('hex')}\n`);
    fs.fsyncSync(fd);
  } finally {
    fs.closeSync(fd);
  }
  return key;
}

function readKeyFile(file: string): Buffer {
  const st = fs.statSync(file);
  if (process.platform !== 'win32' && (st.mode & 0o077) !== 0) {
    throw new Error(
      `the secret key file ${file} can be read by other users (mode ${(st.mode & 0o777).toString(8).padStart(4, '0')}); ` +
        `run: chmod 600 ${file}`,
    );
  }
  const key = parseSecretKey(fs.readFileSync(file, 'utf8'));
  if (!key) {
    throw new Error(
      `the secret key file ${file} does not hold a key (64 hex characters expected); restore it from a backup ` +
        `(webhook secrets stored under it cannot be opened without it), or remove it and put every notification target again`,
    );
  }
  return key;
}

/** The box of a replica of a shared database started without PREWARM_SECRET_KEY. */
class MissingKeyBox extends SecretBox {
  constructor() {
    super(randomBytes(KEY_BYTES), 'no key');
  }
  private refuse(): never {
    throw new Error(
      `webhook secrets need ${SECRET_KEY_ENV} on a PostgreSQL database: set the same key on every replica (make one with: openssl rand -hex 32) and restart them`,
    );
  }
  override seal(): string {
    this.refuse();
  }
  override fingerprint(): string {
    this.refuse();
  }
  override open(): string {
    this.refuse();
  }
}
