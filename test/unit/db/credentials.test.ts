import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createKeyring, needsReseal, openSecret, sealSecret } from '../../../db/credentials.js';

const key = () => randomBytes(32).toString('base64');
const secret = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';

describe('sealSecret / openSecret', () => {
  it('round-trips a secret and never contains the plaintext', () => {
    const keyring = createKeyring({ id: 'k1', key: key() });
    const sealed = sealSecret(keyring, secret, 'ctx');
    expect(sealed).not.toContain(secret);
    expect(sealed.startsWith('v1.k1.')).toBe(true);
    expect(openSecret(keyring, sealed, 'ctx')).toBe(secret);
  });

  it('uses a fresh IV for every seal', () => {
    const keyring = createKeyring({ id: 'k1', key: key() });
    expect(sealSecret(keyring, secret, 'ctx')).not.toBe(sealSecret(keyring, secret, 'ctx'));
  });

  it('refuses a value sealed for another tenant or key (additional data)', () => {
    const keyring = createKeyring({ id: 'k1', key: key() });
    const sealed = sealSecret(keyring, secret, 'duo-secret:acme:DI1');
    expect(() => openSecret(keyring, sealed, 'duo-secret:other:DI1')).toThrow(/does not open/);
  });

  it('refuses to open with a different key under the same id', () => {
    const sealed = sealSecret(createKeyring({ id: 'k1', key: key() }), secret, 'ctx');
    expect(() => openSecret(createKeyring({ id: 'k1', key: key() }), sealed, 'ctx')).toThrow(/wrong ENCRYPTION_KEY/);
  });

  it('opens values sealed with a previous key after rotation and flags them for re-sealing', () => {
    const old = { id: 'old', key: key() };
    const sealed = sealSecret(createKeyring(old), secret, 'ctx');
    const rotated = createKeyring({ id: 'new', key: key() }, [old]);
    expect(openSecret(rotated, sealed, 'ctx')).toBe(secret);
    expect(needsReseal(rotated, sealed)).toBe(true);
  });

  it('names a missing key id without revealing any key material', () => {
    const sealed = sealSecret(createKeyring({ id: 'gone', key: key() }), secret, 'ctx');
    expect(() => openSecret(createKeyring({ id: 'k2', key: key() }), sealed, 'ctx')).toThrow(/key id "gone"/);
  });
});
