import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeBase64 } from '../../../src/federation/base64.js';
import {
  generateSigningKey,
  loadOrCreateSigningKey,
  parseKeyFile,
  signingKeyFromSeed,
  signJson,
  verifyJsonSignature,
} from '../../../src/federation/signing.js';

// Spec appendix "Cryptographic Test Vectors".
const SEED_B64 = 'YJDBA9Xnr2sVqXD9Vj7XVUnmFZcZrlw8Md7kMW+3XA1';
const specKey = () => signingKeyFromSeed('ed25519:1', decodeBase64(SEED_B64));
const SIG_EMPTY = 'K8280/U9SSy9IVtjBuVeLr+HpOB4BQFWbg+UZaADMtTdGYI7Geitb76LTrr5QV/7Xg4ahLwYGYZzuHGZKM5ZAQ';
const SIG_DATA = 'KqmLSbO39/Bzb0QIYE82zqLwsA+PDzYIpIRA2sRQ4sL53+sN6/fpNSoqE7BP7vBZhG6kYdD13EIMJpvhJI+6Bw';

void describe('signJson: spec test vectors', () => {
  void test('signs the empty object', () => {
    assert.deepEqual(signJson({}, 'domain', specKey()), { signatures: { domain: { 'ed25519:1': SIG_EMPTY } } });
  });

  void test('signs the object with data values', () => {
    assert.deepEqual(signJson({ one: 1, two: 'Two' }, 'domain', specKey()), {
      one: 1,
      two: 'Two',
      signatures: { domain: { 'ed25519:1': SIG_DATA } },
    });
  });

  void test("the seed's public key verifies the spec's own signed objects", () => {
    // Independent of our signer: proves the derived public key is right.
    const { publicKey } = specKey();
    assert.equal(decodeBase64(publicKey).length, 32);
    const signed = { one: 1, two: 'Two', signatures: { domain: { 'ed25519:1': SIG_DATA } } };
    assert.equal(verifyJsonSignature(signed, 'domain', 'ed25519:1', publicKey), true);
    assert.equal(verifyJsonSignature({ signatures: { domain: { 'ed25519:1': SIG_EMPTY } } }, 'domain', 'ed25519:1', publicKey), true);
  });
});

void describe('signJson: signatures and unsigned', () => {
  void test('leaves unsigned out of the signed bytes and puts it back', () => {
    const signed = signJson({ one: 1, two: 'Two', unsigned: { age_ts: 5 } }, 'domain', specKey());
    assert.equal(signed.signatures.domain['ed25519:1'], SIG_DATA);
    assert.deepEqual(signed.unsigned, { age_ts: 5 });
  });

  void test('keeps existing signatures, from other servers and other keys of this one', () => {
    const input = {
      one: 1,
      two: 'Two',
      signatures: { other: { 'ed25519:x': 'AAAA' }, domain: { 'ed25519:old': 'BBBB' } },
    };
    const signed = signJson(input, 'domain', specKey());
    assert.deepEqual(signed.signatures, {
      other: { 'ed25519:x': 'AAAA' },
      domain: { 'ed25519:old': 'BBBB', 'ed25519:1': SIG_DATA },
    });
    // The input is not modified.
    assert.deepEqual(input.signatures, { other: { 'ed25519:x': 'AAAA' }, domain: { 'ed25519:old': 'BBBB' } });
  });
});

void describe('verifyJsonSignature', () => {
  const key = specKey();
  const signed = signJson({ a: 1, nested: { b: [1, 2] }, unsigned: { age: 1 } }, 'example.org', key);

  void test('is true for the signer and survives changes to unsigned and added signatures', () => {
    assert.equal(verifyJsonSignature(signed, 'example.org', 'ed25519:1', key.publicKey), true);
    const changed = { ...signed, unsigned: { age: 99 }, signatures: { ...signed.signatures, x: { 'ed25519:z': 'QQ' } } };
    assert.equal(verifyJsonSignature(changed, 'example.org', 'ed25519:1', key.publicKey), true);
  });

  void test('is false when signed data changes', () => {
    assert.equal(verifyJsonSignature({ ...signed, a: 2 }, 'example.org', 'ed25519:1', key.publicKey), false);
    assert.equal(verifyJsonSignature({ ...signed, extra: true }, 'example.org', 'ed25519:1', key.publicKey), false);
  });

  void test('is false for another key, server or key id', () => {
    const other = generateSigningKey();
    assert.equal(verifyJsonSignature(signed, 'example.org', 'ed25519:1', other.publicKey), false);
    assert.equal(verifyJsonSignature(signed, 'other.org', 'ed25519:1', key.publicKey), false);
    assert.equal(verifyJsonSignature(signed, 'example.org', 'ed25519:2', key.publicKey), false);
  });

  void test('is false, not an exception, for malformed input', () => {
    const sig = signed.signatures['example.org']['ed25519:1'];
    const withSig = (s: unknown) => ({ ...signed, signatures: { 'example.org': { 'ed25519:1': s } } });
    assert.equal(verifyJsonSignature(withSig('not base64!'), 'example.org', 'ed25519:1', key.publicKey), false);
    assert.equal(verifyJsonSignature(withSig(sig.slice(0, 40)), 'example.org', 'ed25519:1', key.publicKey), false);
    assert.equal(verifyJsonSignature(withSig(42), 'example.org', 'ed25519:1', key.publicKey), false);
    assert.equal(verifyJsonSignature(signed, 'example.org', 'ed25519:1', 'short'), false);
    assert.equal(verifyJsonSignature({ ...signed, f: 1.5 }, 'example.org', 'ed25519:1', key.publicKey), false);
    assert.equal(verifyJsonSignature(null, 'example.org', 'ed25519:1', key.publicKey), false);
    assert.equal(verifyJsonSignature([], 'example.org', 'ed25519:1', key.publicKey), false);
  });

  void test('does not accept an ed25519 signature under another algorithm name', () => {
    const sig = signed.signatures['example.org']['ed25519:1'];
    const relabelled = { ...signed, signatures: { 'example.org': { 'curve25519:1': sig } } };
    assert.equal(verifyJsonSignature(relabelled, 'example.org', 'curve25519:1', key.publicKey), false);
  });
});

void describe('signing keys', () => {
  void test('signingKeyFromSeed validates the key id and seed length', () => {
    const seed = decodeBase64(SEED_B64);
    assert.throws(() => signingKeyFromSeed('rsa:1', seed), TypeError);
    assert.throws(() => signingKeyFromSeed('ed25519:', seed), TypeError);
    assert.throws(() => signingKeyFromSeed('ed25519:a b', seed), TypeError);
    assert.throws(() => signingKeyFromSeed('ed25519:1', seed.subarray(0, 31)), TypeError);
  });

  void test('generateSigningKey makes distinct working keys with valid ids', () => {
    const a = generateSigningKey();
    const b = generateSigningKey();
    assert.match(a.keyId, /^ed25519:[A-Za-z0-9_]+$/);
    assert.notEqual(a.keyId, b.keyId);
    assert.notDeepEqual(a.seed, b.seed);
    assert.equal(a.seed.length, 32);
    const signed = signJson({ x: 1 }, 's', a);
    assert.equal(verifyJsonSignature(signed, 's', a.keyId, a.publicKey), true);
    assert.equal(generateSigningKey('v2').keyId, 'ed25519:v2');
  });
});

void describe('key file', () => {
  const withTempDir = (fn: (dir: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'presenced-key-'));
    try {
      fn(dir);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  void test('is created (with its directory, mode 0600) and read back as the same key', () => {
    withTempDir((dir) => {
      const path = join(dir, 'nested', 'deeper', 'signing.key');
      const created = loadOrCreateSigningKey(path);
      const text = readFileSync(path, 'utf8');
      const [, version] = created.keyId.split(':');
      assert.match(text, new RegExp(`^ed25519 ${version} [A-Za-z0-9+/]{43}\\n$`));
      if (process.platform !== 'win32') assert.equal(statSync(path).mode & 0o777, 0o600);
      const loaded = loadOrCreateSigningKey(path);
      assert.deepEqual(loaded, created);
    });
  });

  void test('an existing file is used as is', () => {
    withTempDir((dir) => {
      const path = join(dir, 'signing.key');
      writeFileSync(path, `ed25519 1 ${SEED_B64}\n`);
      const key = loadOrCreateSigningKey(path);
      assert.deepEqual(key, specKey());
      assert.equal(signJson({}, 'domain', key).signatures.domain['ed25519:1'], SIG_EMPTY);
    });
  });

  void test('a malformed file is an error, never silently replaced', () => {
    withTempDir((dir) => {
      const path = join(dir, 'signing.key');
      writeFileSync(path, 'garbage\n');
      assert.throws(() => loadOrCreateSigningKey(path), /expected one line/);
      assert.equal(readFileSync(path, 'utf8'), 'garbage\n');
    });
    assert.throws(() => parseKeyFile('ed25519 1 AAAA\n'), /32 bytes/);
    assert.throws(() => parseKeyFile('ed25519 1 !!!!\n'), /base64/);
    assert.throws(() => parseKeyFile('rsa 1 AAAA\n'), /expected one line/);
  });
});
