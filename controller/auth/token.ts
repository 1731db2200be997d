import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store';

export type TokenVerifier = (token: string) => boolean;

function sha256(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** Compares digests, not the tokens, so the comparison is constant-time whatever the lengths. */
export function verifierFor(hash: Buffer): TokenVerifier {
  return (token) => token.length > 0 && timingSafeEqual(sha256(token), hash);
}

export function generateToken(): string {
  return `pwt_${randomBytes(32).toString('base64url')}`;
}

/** The shape generateToken() makes: anything else handed to a shell (`eval "$(prewarm token rotate)"`) is refused. */
export const GENERATED_TOKEN = /^pwt_[A-Za-z0-9_-]{43}$/;

export interface TokenSetup {
  verify: TokenVerifier;
  /** Set only when a token was generated now: the one and only time it is shown. */
  generated?: string;
  source: 'environment' | 'stored' | 'generated';
}

/**
 * A new token: only its SHA-256 is stored (replacing any earlier one), the token itself is returned once for
 * printing, with the verifier that accepts it.
 */
export async function rotateToken(store: Pick<Store, 'setTokenHash'>): Promise<{ token: string; verify: TokenVerifier }> {
  const token = generateToken();
  const hash = sha256(token);
  await store.setTokenHash(hash.toString('hex'));
  return { token, verify: verifierFor(hash) };
}

/**
 * PREWARM_TOKEN wins when set. Otherwise the stored hash is used; on first start (or --rotate-token) a new
 * token is generated, only its SHA-256 is stored, and the token itself is returned once for printing.
 */
export async function setupToken(
  store: Pick<Store, 'tokenHash' | 'setTokenHash' | 'setTokenHashIfAbsent'>,
  opts: { envToken?: string; rotate: boolean },
): Promise<TokenSetup> {
  if (opts.envToken !== undefined && opts.envToken !== '') {
    return { verify: verifierFor(sha256(opts.envToken)), source: 'environment' };
  }
  const stored = await store.tokenHash();
  if (stored && !opts.rotate) return { verify: verifierFor(Buffer.from(stored, 'hex')), source: 'stored' };
  if (opts.rotate) {
    const fresh = await rotateToken(store);
    return { verify: fresh.verify, generated: fresh.token, source: 'generated' };
  }
  // First start. Replicas starting together on one database race here: one stores its token, the others find it
  // stored and print none, so no token is printed that does not work.
  const token = generateToken();
  const hash = sha256(token);
  if (await store.setTokenHashIfAbsent(hash.toString('hex'))) return { verify: verifierFor(hash), generated: token, source: 'generated' };
  const winner = await store.tokenHash();
  return { verify: verifierFor(Buffer.from(winner ?? '', 'hex')), source: 'stored' };
}

/**
 * The verifier the API calls for every request. `replace` switches it in one assignment, so a rotation takes
 * effect on the next call: the old token is refused from then on, without a restart.
 */
export class SwitchableVerifier {
  constructor(private current: TokenVerifier) {}

  readonly verify: TokenVerifier = (token) => this.current(token);

  replace(next: TokenVerifier): void {
    this.current = next;
  }
}
