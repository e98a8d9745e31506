import { randomBytes } from 'node:crypto';

/** Matrix user ID grammar for new registrations: lowercase localpart of [a-z0-9._=/+-]. */
const LOCALPART_RE = /^[a-z0-9._=\-/+]+$/;
/** Historic IDs allow any printable ASCII except ':'. */
const HISTORIC_LOCALPART_RE = /^[\x21-\x39\x3b-\x7e]+$/;

export function isValidNewLocalpart(localpart: string): boolean {
  return localpart.length > 0 && LOCALPART_RE.test(localpart);
}

export interface ParsedId {
  sigil: string;
  localpart: string;
  serverName: string;
}

/** Parses `@user:server`, `!room:server`, `#alias:server`; null if malformed. */
export function parseId(id: unknown, sigil: '@' | '!' | '#'): ParsedId | null {
  if (typeof id !== 'string' || id.length > 255 || id[0] !== sigil) return null;
  const colon = id.indexOf(':');
  if (colon < 2) return null;
  const localpart = id.slice(1, colon);
  const serverName = id.slice(colon + 1);
  if (!serverName || !/^[A-Za-z0-9.\-[\]:]+$/.test(serverName)) return null;
  if (sigil === '@' && !HISTORIC_LOCALPART_RE.test(localpart)) return null;
  return { sigil, localpart, serverName };
}

export const isUserId = (id: unknown): id is string => parseId(id, '@') !== null;
export const isRoomId = (id: unknown): id is string => parseId(id, '!') !== null;
export const isRoomAlias = (id: unknown): id is string => parseId(id, '#') !== null;

export function serverNameOf(id: string): string {
  return id.slice(id.indexOf(':') + 1);
}

export function randomString(len: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
  const bytes = randomBytes(len);
  let s = '';
  for (let i = 0; i < len; i++) s += alphabet[bytes[i] % alphabet.length];
  return s;
}

export const newRoomId = (serverName: string) => `!${randomString(18)}:${serverName}`;
export const newDeviceId = () => randomString(10).toUpperCase();
