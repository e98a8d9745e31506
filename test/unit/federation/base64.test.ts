import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBase64, decodeBase64Url, encodeBase64, encodeBase64Url } from '../../../src/federation/base64.js';

const SPEC_EXAMPLES: Array<[string, string]> = [
  ['', ''],
  ['f', 'Zg'],
  ['fo', 'Zm8'],
  ['foo', 'Zm9v'],
  ['foob', 'Zm9vYg'],
  ['fooba', 'Zm9vYmE'],
  ['foobar', 'Zm9vYmFy'],
];

void describe('unpadded base64', () => {
  void test('encodes the spec appendix examples without padding', () => {
    for (const [plain, encoded] of SPEC_EXAMPLES) assert.equal(encodeBase64(Buffer.from(plain)), encoded);
  });

  void test('decodes them back, with or without padding', () => {
    for (const [plain, encoded] of SPEC_EXAMPLES) {
      assert.equal(decodeBase64(encoded).toString(), plain);
      const padded = encoded + '='.repeat((4 - (encoded.length % 4)) % 4);
      assert.equal(decodeBase64(padded).toString(), plain);
    }
  });

  void test('uses + and / in the standard alphabet, - and _ in the URL-safe one', () => {
    const bytes = Buffer.from([0xfb, 0xff, 0xbf]);
    assert.equal(encodeBase64(bytes), '+/+/');
    assert.equal(encodeBase64Url(bytes), '-_-_');
    assert.equal(encodeBase64Url(Buffer.from([0xfb, 0xff])), '-_8');
    assert.deepEqual(decodeBase64Url('-_8'), Buffer.from([0xfb, 0xff]));
    assert.deepEqual(decodeBase64('+/8='), Buffer.from([0xfb, 0xff]));
  });

  void test('rejects characters outside the alphabet instead of skipping them', () => {
    assert.throws(() => decodeBase64('Zm9v!'), TypeError);
    assert.throws(() => decodeBase64('Zm 9v'), TypeError);
    assert.throws(() => decodeBase64('-_8'), TypeError);
    assert.throws(() => decodeBase64Url('+/8'), TypeError);
  });

  void test('rejects impossible lengths and misplaced padding', () => {
    assert.throws(() => decodeBase64('Zm9vY'), TypeError); // 4n+1 characters
    assert.throws(() => decodeBase64('Zg='), TypeError); // padded but not to a multiple of 4
    assert.throws(() => decodeBase64('Z=g='), TypeError);
    assert.throws(() => decodeBase64('Zg==='), TypeError);
  });
});
