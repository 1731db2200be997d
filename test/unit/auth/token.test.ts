import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from '@jest/globals';
import { rotateToken, setupToken, SwitchableVerifier } from '../../../controller/auth/token';

/** The token methods of the Store, over a variable. */
function memoryTokenStore(initial?: string) {
  let hash = initial;
  return {
    tokenHash: async () => hash,
    setTokenHash: async (hex: string) => void (hash = hex),
    setTokenHashIfAbsent: async (hex: string) => (hash === undefined ? ((hash = hex), true) : false),
    stored: () => hash,
  };
}

describe('API token', () => {
  test('rotateToken stores only the SHA-256 of a fresh token and returns a verifier for it', async () => {
    const store = memoryTokenStore('00'.repeat(32));
    const { token, verify } = await rotateToken(store);
    assert.match(token, /^pwt_[A-Za-z0-9_-]{43}$/);
    assert.equal(store.stored(), createHash('sha256').update(token).digest('hex'));
    assert.equal(verify(token), true);
    assert.equal(verify(`${token}x`), false);
    assert.notEqual((await rotateToken(store)).token, token);
  });

  test('a SwitchableVerifier accepts the new token and refuses the old one from the moment it is replaced', async () => {
    const store = memoryTokenStore();
    const first = await setupToken(store, { rotate: false });
    assert.equal(first.source, 'generated');
    const switchable = new SwitchableVerifier(first.verify);
    const check = switchable.verify; // the API holds on to this function, never to the verifier inside
    assert.equal(check(first.generated!), true);
    const next = await rotateToken(store);
    switchable.replace(next.verify);
    assert.equal(check(first.generated!), false);
    assert.equal(check(next.token), true);
    assert.equal((await setupToken(store, { rotate: false })).verify(next.token), true, 'the stored hash is the new one');
  });

  test('replicas starting together on one database: one token is generated and printed, the others use it', async () => {
    const store = memoryTokenStore();
    // Both looked before either stored: the second finds the first's hash when it tries to store its own.
    const racing = { ...store, tokenHash: async () => undefined };
    const first = await setupToken(racing, { rotate: false });
    let looks = 0;
    const late = { ...store, tokenHash: async () => (looks++ === 0 ? undefined : store.tokenHash()) };
    const second = await setupToken(late, { rotate: false });
    assert.equal(looks, 2, 'the second looked before the first stored, then read the stored hash');
    assert.equal(first.source, 'generated');
    assert.equal(second.source, 'stored');
    assert.equal(second.generated, undefined, 'no second token is printed');
    assert.equal(second.verify(first.generated!), true, 'the printed token works on both');
  });
});
