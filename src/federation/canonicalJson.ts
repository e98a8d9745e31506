/**
 * Canonical JSON (Matrix spec appendix "Canonical JSON"): the byte string that
 * signatures, content hashes and event IDs are computed over, so every server
 * must produce exactly the same one for the same value.
 */

const MAX_SAFE = 2 ** 53 - 1;
// A UTF-16 surrogate that is not part of a pair cannot be encoded as UTF-8, so
// the value has no canonical form (Python's reference encoder fails the same way).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** A value with no canonical form: the caller's input was at fault, not the server. */
export class NotCanonicalJsonError extends TypeError {}

export function canonicalJson(value: unknown): string {
  return encode(value, new Set(), '$');
}

function encode(value: unknown, ancestors: Set<object>, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      return encodeNumber(value, path);
    case 'string':
      return encodeString(value, path);
    case 'object':
      break;
    default:
      throw new NotCanonicalJsonError(`canonical JSON: ${typeof value} at ${path} is not a JSON value`);
  }
  const obj = value as object;
  if (ancestors.has(obj)) throw new NotCanonicalJsonError(`canonical JSON: cycle at ${path}`);
  ancestors.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((v: unknown, i) => encode(v, ancestors, `${path}[${i}]`)).join(',')}]`;
    }
    const proto: unknown = Object.getPrototypeOf(obj);
    if (proto !== Object.prototype && proto !== null) {
      throw new NotCanonicalJsonError(`canonical JSON: ${path} is not a plain object`);
    }
    const members: string[] = [];
    for (const key of Object.keys(obj).sort(compareCodePoints)) {
      const v = (obj as Record<string, unknown>)[key];
      // An absent optional field often shows up as `undefined` after a spread;
      // JSON.stringify drops it too, so stored JSON and signed JSON agree.
      if (v === undefined) continue;
      members.push(`${encodeString(key, path)}:${encode(v, ancestors, `${path}.${key}`)}`);
    }
    return `{${members.join(',')}}`;
  } finally {
    ancestors.delete(obj);
  }
}

function encodeNumber(n: number, path: string): string {
  if (!Number.isInteger(n)) throw new NotCanonicalJsonError(`canonical JSON: ${n} at ${path} is not an integer`);
  if (n > MAX_SAFE || n < -MAX_SAFE) {
    throw new NotCanonicalJsonError(`canonical JSON: ${n} at ${path} is outside [-(2^53)+1, 2^53-1]`);
  }
  // String(-0) is "0": the spec forbids "-0" in the output.
  return String(n);
}

function encodeString(s: string, path: string): string {
  if (LONE_SURROGATE.test(s)) throw new NotCanonicalJsonError(`canonical JSON: unpaired surrogate in string at ${path}`);
  // For well-formed strings JSON.stringify already matches the spec grammar: it
  // escapes only '"', '\\' and U+0000..U+001F (short forms where they exist,
  // lowercase \u00XX otherwise) and leaves every other character as is.
  return JSON.stringify(s);
}

/**
 * Orders strings by Unicode code point. JavaScript's default sort compares UTF-16
 * code units, which puts U+10000 and above (surrogate pairs) before U+E000..U+FFFF.
 */
export function compareCodePoints(a: string, b: string): number {
  const len = Math.min(a.length, b.length);
  for (let i = 0; i < len; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return codePointRank(x) - codePointRank(y);
  }
  return a.length - b.length;
}

// Lifts surrogates above U+E000..U+FFFF and shifts those down to keep them below.
const codePointRank = (unit: number) => (unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800);
