import { createPublicKey, verify } from 'node:crypto';
import { canonicalJson } from '../../federation/index.js';
import type { JsonObject, Pdu, StateMap } from '../../common/events.js';
import { getState, isObject, membershipOf } from './state.js';
import { ALLOW, deny, EV, type AuthEventInput, type AuthResult } from './types.js';

/** Unpadded (standard or URL-safe) base64 to base64url, the form a JWK wants. */
const toBase64Url = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

function verifyEd25519(publicKeyB64: string, message: string, signatureB64: string): boolean {
  try {
    const key = createPublicKey({
      key: { kty: 'OKP', crv: 'Ed25519', x: toBase64Url(publicKeyB64) },
      format: 'jwk',
    });
    return verify(null, Buffer.from(message), key, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false; // a malformed key or signature simply does not match
  }
}

/** The keys an `m.room.third_party_invite` offers: `public_key` and each of `public_keys`. */
function publicKeysOf(invite: Pdu): string[] {
  const keys: string[] = [];
  if (typeof invite.content.public_key === 'string') keys.push(invite.content.public_key);
  const list = invite.content.public_keys;
  if (Array.isArray(list)) {
    for (const k of list) if (isObject(k) && typeof k.public_key === 'string') keys.push(k.public_key);
  }
  return keys;
}

/** Rule 4.7 of 4.4.1: any signature in `signed` made by any of the invite's public keys. */
function signedByAnyKey(signed: JsonObject, keys: string[]): boolean {
  const sigs = signed.signatures;
  if (!isObject(sigs)) return false;
  const { signatures: _omit, ...unsigned } = signed;
  const message = canonicalJson(unsigned);
  for (const byServer of Object.values(sigs)) {
    if (!isObject(byServer)) continue;
    for (const sig of Object.values(byServer)) {
      if (typeof sig !== 'string') continue;
      if (keys.some((k) => verifyEd25519(k, message, sig))) return true;
    }
  }
  return false;
}

/** Rule 4.4.1: an invite that completes a third-party (e.g. email) invitation. */
export function authorizeThirdPartyInvite(event: AuthEventInput, authState: StateMap): AuthResult {
  const target = event.state_key as string;
  if (membershipOf(target, authState) === 'ban') return deny(`${target} is banned from this room`);
  const tpi = event.content.third_party_invite;
  const signed = isObject(tpi) ? tpi.signed : undefined;
  if (!isObject(signed)) return deny('The third-party invite has no signed block');
  if (typeof signed.mxid !== 'string' || typeof signed.token !== 'string') {
    return deny("The third-party invite's signed block needs both mxid and token");
  }
  if (signed.mxid !== target) return deny('The third-party invite was made out to a different user');
  const invite = getState(authState, EV.thirdPartyInvite, signed.token);
  if (!invite) return deny('No third-party invite in this room matches that token');
  if (invite.sender !== event.sender) {
    return deny('Only the user who made the third-party invite can complete it');
  }
  if (signedByAnyKey(signed, publicKeysOf(invite))) return ALLOW;
  return deny("The third-party invite's signature does not match the room's invite keys");
}
