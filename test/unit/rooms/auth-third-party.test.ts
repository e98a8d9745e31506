import { describe } from 'node:test';
import { generateKeyPairSync, sign } from 'node:crypto';
import type { JsonObject } from '../../../src/common/events.js';
import { canonicalJson } from '../../../src/federation/index.js';
import { ALICE, BOB, CAROL, MOD, ev, member, room, runCases } from './auth-fixtures.js';

const TOKEN = 'tok123';
const keys = generateKeyPairSync('ed25519');
const other = generateKeyPairSync('ed25519');
const unpadded = (b: Buffer) => b.toString('base64').replace(/=+$/, '');
const publicKeyOf = (pair: typeof keys) =>
  unpadded(Buffer.from(pair.publicKey.export({ format: 'jwk' }).x as string, 'base64url'));

function signedBlock(mxid: string, pair = keys, token = TOKEN): JsonObject {
  const unsigned = { mxid, token, sender: BOB };
  const sig = unpadded(sign(null, Buffer.from(canonicalJson(unsigned)), pair.privateKey));
  return { ...unsigned, signatures: { 'id.test': { 'ed25519:0': sig } } };
}

const tpInvite = (sender: string, content: JsonObject, token = TOKEN) =>
  ev('m.room.third_party_invite', sender, { display_name: 'c...@example.org', ...content }, token);
const withInvite = (content: JsonObject = { public_key: publicKeyOf(keys) }, sender = BOB, members = {}) =>
  room({ members, extra: [tpInvite(sender, content)] });
const invite = (target: string, signed: unknown, sender = BOB) =>
  member(target, 'invite', sender, { third_party_invite: { display_name: 'c...', signed } as JsonObject });

describe('rule 4.4.1: invites completing a third-party invite', () => {
  runCases([
    {
      name: '4.4.1.7 a signature in signed matches the public_key of the m.room.third_party_invite',
      event: invite(CAROL, signedBlock(CAROL)),
      state: withInvite(),
    },
    {
      name: '4.4.1.7.2 a signature matching one of public_keys',
      event: invite(CAROL, signedBlock(CAROL)),
      state: withInvite({ public_key: publicKeyOf(other), public_keys: [{ public_key: publicKeyOf(keys) }] }),
    },
    {
      name: '4.4.1.1 target user is banned',
      event: invite(CAROL, signedBlock(CAROL)),
      state: withInvite(undefined, BOB, { [CAROL]: 'ban' }),
      deny: `${CAROL} is banned from this room`,
    },
    {
      name: '4.4.1.2 third_party_invite has no signed property',
      event: member(CAROL, 'invite', BOB, { third_party_invite: { display_name: 'c...' } }),
      state: withInvite(),
      deny: 'has no signed block',
    },
    {
      name: '4.4.1.3 signed has no token',
      event: invite(CAROL, { mxid: CAROL }),
      state: withInvite(),
      deny: 'needs both mxid and token',
    },
    {
      name: '4.4.1.4 mxid does not match state_key',
      event: invite(CAROL, signedBlock(MOD)),
      state: withInvite(),
      deny: 'made out to a different user',
    },
    {
      name: '4.4.1.5 no m.room.third_party_invite with state_key matching the token',
      event: invite(CAROL, signedBlock(CAROL, keys, 'unknown-token')),
      state: withInvite(),
      deny: 'No third-party invite in this room matches that token',
    },
    {
      name: '4.4.1.6 sender does not match the sender of the m.room.third_party_invite',
      event: invite(CAROL, signedBlock(CAROL), MOD),
      state: withInvite(),
      deny: 'Only the user who made the third-party invite can complete it',
    },
    {
      name: '4.4.1.8 signed with a key the invite does not list',
      event: invite(CAROL, signedBlock(CAROL, other)),
      state: withInvite(),
      deny: 'signature does not match',
    },
    {
      name: '4.4.1.8 signed block altered after signing',
      event: invite(CAROL, { ...signedBlock(CAROL), sender: ALICE }),
      state: withInvite(),
      deny: 'signature does not match',
    },
  ]);
});
