/**
 * Unpadded Base64 (Matrix spec appendix "Unpadded Base64") and its URL-safe
 * variant (used by room v4+ event IDs). Decoders accept input with or without
 * padding, as the spec asks, and reject anything else: Buffer.from(…, 'base64')
 * silently skips invalid characters, which would let garbage signatures decode.
 */

const STANDARD = /^[A-Za-z0-9+/]*={0,2}$/;
const URL_SAFE = /^[A-Za-z0-9\-_]*={0,2}$/;

export function encodeBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64').replace(/=+$/, '');
}

export function encodeBase64Url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

export function decodeBase64(text: string): Buffer {
  return decode(text, STANDARD, 'base64');
}

export function decodeBase64Url(text: string): Buffer {
  return decode(text, URL_SAFE, 'base64url');
}

function decode(text: string, alphabet: RegExp, encoding: 'base64' | 'base64url'): Buffer {
  if (!alphabet.test(text)) throw new TypeError('invalid base64: unexpected character');
  const body = text.replace(/=+$/, '');
  // A final group of one character carries only 6 bits: not a whole byte.
  if (body.length % 4 === 1) throw new TypeError('invalid base64: bad length');
  if (text.length !== body.length && text.length % 4 !== 0) throw new TypeError('invalid base64: bad padding');
  return Buffer.from(body, encoding);
}
