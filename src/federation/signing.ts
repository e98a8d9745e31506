/**
 * Server signing keys and JSON signing (Matrix spec appendix "Signing JSON").
 * ed25519 via node:crypto; keys are kept as their 32-byte seed, the form the
 * key file and the spec's test vectors use.
 */
import { createPrivateKey, createPublicKey, randomBytes, sign, verify, type KeyObject } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { canonicalJson } from './canonicalJson.js';
import { decodeBase64, encodeBase64 } from './base64.js';
import { withProps } from '../common/objects.js';

/** `signatures` of a signed object: server name → key ID → unpadded base64 signature. */
export type Signatures = Record<string, Record<string, string>>;

export interface SigningKey {
  /** `ed25519:<version>` */
  keyId: string;
  /** The 32-byte ed25519 seed (private key). */
  seed: Buffer;
  /** The public key, unpadded base64. */
  publicKey: string;
}

const ALGORITHM = 'ed25519';
// A key version is [a-zA-Z0-9_] (server-server API, "Publishing Keys").
const VERSION_RE = /^[A-Za-z0-9_]+$/;
// DER framing that turns a raw 32-byte seed into PKCS#8 / a raw public key into
// SPKI: node:crypto imports ed25519 keys only in those containers.
const PKCS8_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function signingKeyFromSeed(keyId: string, seed: Buffer): SigningKey {
  const [alg, version] = splitKeyId(keyId);
  if (alg !== ALGORITHM || !VERSION_RE.test(version)) throw new TypeError(`bad signing key id: ${keyId}`);
  if (seed.length !== 32) throw new TypeError('an ed25519 seed is 32 bytes');
  const spki = createPublicKey(parsePrivateKey(seed)).export({ format: 'der', type: 'spki' });
  return { keyId, seed: Buffer.from(seed), publicKey: encodeBase64(spki.subarray(SPKI_PREFIX.length)) };
}

/** A fresh key; the version is random so a regenerated key never reuses an old id. */
export function generateSigningKey(version = randomVersion()): SigningKey {
  return signingKeyFromSeed(`${ALGORITHM}:${version}`, randomBytes(32));
}

/**
 * Reads the server's key file, creating it (mode 0600, parent directories too)
 * when it does not exist. Format, one line: `ed25519 <version> <unpadded base64 seed>`.
 */
export function loadOrCreateSigningKey(filePath: string): SigningKey {
  try {
    return parseKeyFile(readFileSync(filePath, 'utf8'), filePath);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const key = generateSigningKey();
  mkdirSync(dirname(filePath), { recursive: true });
  try {
    // 'wx': if another instance created the file meanwhile, use theirs rather than overwrite it.
    writeFileSync(filePath, formatKeyFile(key), { mode: 0o600, flag: 'wx' });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return parseKeyFile(readFileSync(filePath, 'utf8'), filePath);
  }
  return key;
}

export function formatKeyFile(key: SigningKey): string {
  const [alg, version] = splitKeyId(key.keyId);
  return `${alg} ${version} ${encodeBase64(key.seed)}\n`;
}

export function parseKeyFile(text: string, source = 'signing key file'): SigningKey {
  const line = text.split('\n').find((l) => l.trim() !== '');
  const parts = line?.trim().split(/\s+/) ?? [];
  if (parts.length !== 3 || parts[0] !== ALGORITHM) {
    throw new Error(`${source}: expected one line "ed25519 <version> <base64 seed>"`);
  }
  let seed: Buffer;
  try {
    seed = decodeBase64(parts[2]);
  } catch {
    throw new Error(`${source}: the seed is not valid base64`);
  }
  if (seed.length !== 32) throw new Error(`${source}: the seed must be 32 bytes`);
  return signingKeyFromSeed(`${ALGORITHM}:${parts[1]}`, seed);
}

/**
 * Signs `obj` as `serverName` (spec "Signing Details"): the signature covers the
 * canonical JSON of the object without `signatures` and `unsigned`, and is added
 * next to any signatures already there. Returns a new object; `obj` is untouched.
 */
export function signJson<T extends object>(obj: T, serverName: string, key: SigningKey): T & { signatures: Signatures } {
  const { signatures, unsigned, ...rest } = obj as Record<string, unknown>;
  const signature = sign(null, Buffer.from(canonicalJson(rest), 'utf8'), privateKeyOf(key));
  const merged = cloneSignatures(signatures);
  merged[serverName] = withProps(merged[serverName] ?? {}, { [key.keyId]: encodeBase64(signature) });
  const out: Record<string, unknown> = withProps(rest, { signatures: merged });
  if (unsigned !== undefined) out.unsigned = unsigned;
  return out as T & { signatures: Signatures };
}

/**
 * True when `obj.signatures[serverName][keyId]` is a valid signature of `obj` by
 * the given public key. Any malformed input (missing entry, bad base64, a value
 * with no canonical form) is simply "not validly signed".
 */
export function verifyJsonSignature(obj: unknown, serverName: string, keyId: string, publicKeyB64: string): boolean {
  if (typeof obj !== 'object' || obj === null || Array.isArray(obj)) return false;
  if (splitKeyId(keyId)[0] !== ALGORITHM) return false;
  const { signatures, unsigned: _unsigned, ...rest } = obj as Record<string, unknown>;
  const sig = (signatures as Record<string, Record<string, unknown> | undefined> | undefined)?.[serverName]?.[keyId];
  if (typeof sig !== 'string') return false;
  try {
    const publicKey = decodeBase64(publicKeyB64);
    const signature = decodeBase64(sig);
    if (publicKey.length !== 32 || signature.length !== 64) return false;
    return verify(null, Buffer.from(canonicalJson(rest), 'utf8'), publicKeyOf(publicKey), signature);
  } catch {
    return false;
  }
}

/** Parsing the key costs more than the signature itself; every event and request is signed with one key. */
const privateKeys = new WeakMap<SigningKey, KeyObject>();

function privateKeyOf(key: SigningKey): KeyObject {
  let k = privateKeys.get(key);
  if (!k) privateKeys.set(key, (k = parsePrivateKey(key.seed)));
  return k;
}

function parsePrivateKey(seed: Buffer): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}

function publicKeyOf(raw: Buffer): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_PREFIX, raw]), format: 'der', type: 'spki' });
}

function splitKeyId(keyId: string): [string, string] {
  const colon = keyId.indexOf(':');
  return colon < 0 ? [keyId, ''] : [keyId.slice(0, colon), keyId.slice(colon + 1)];
}

function cloneSignatures(value: unknown): Signatures {
  const out: Signatures = {};
  if (typeof value !== 'object' || value === null) return out;
  for (const [server, keys] of Object.entries(value as Record<string, unknown>)) {
    if (typeof keys === 'object' && keys !== null) out[server] = { ...(keys as Record<string, string>) };
  }
  return out;
}

function randomVersion(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  return [...randomBytes(8)].map((b) => alphabet[b % alphabet.length]).join('');
}
