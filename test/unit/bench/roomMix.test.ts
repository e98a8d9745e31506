import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_MIX, audienceSizes, describeMix, generateRoomMix, seededRandom, type MixRoom } from '../../../bench/lib/roomMix.js';

describe('room mix', () => {
  test('the same seed gives the same rooms; another seed does not', () => {
    assert.deepEqual(generateRoomMix(500, 7), generateRoomMix(500, 7));
    assert.notDeepEqual(generateRoomMix(500, 7), generateRoomMix(500, 8));
  });

  test('DMs have two distinct members and there are users x dmsPerUser / 2 of them', () => {
    const rooms = generateRoomMix(2000, 1);
    const dms = rooms.filter((r) => r.kind === 'dm');
    assert.equal(dms.length, (2000 * DEFAULT_MIX.dmsPerUser) / 2);
    for (const r of dms) {
      assert.equal(r.members.length, 2);
      assert.notEqual(r.members[0], r.members[1]);
    }
  });

  test('teams are 5 to 50 distinct members and cover teamsPerUser memberships per user', () => {
    const rooms = generateRoomMix(2000, 1);
    const teams = rooms.filter((r) => r.kind === 'team');
    let memberships = 0;
    for (const t of teams) {
      assert.ok(t.members.length >= 5 && t.members.length <= 50, `team of ${t.members.length}`);
      assert.equal(new Set(t.members).size, t.members.length);
      memberships += t.members.length;
    }
    assert.ok(memberships >= 2000 * DEFAULT_MIX.teamsPerUser && memberships < 2000 * DEFAULT_MIX.teamsPerUser + 50);
    // Log-uniform sizes: small teams outnumber big ones.
    assert.ok(teams.filter((t) => t.members.length <= 15).length > teams.filter((t) => t.members.length >= 35).length);
  });

  test('a few large rooms of 1,000+, capped at the population', () => {
    const big = generateRoomMix(2000, 1).filter((r) => r.kind === 'large');
    assert.deepEqual(big.map((r) => r.members.length), [1000, 1500, 2000]);
    for (const r of big) assert.equal(new Set(r.members).size, r.members.length);
    const tiny = generateRoomMix(10, 1);
    assert.deepEqual(tiny.filter((r) => r.kind === 'large').map((r) => r.members.length), [10, 10, 10]);
    assert.ok(tiny.filter((r) => r.kind === 'team').every((r) => r.members.length <= 10));
  });

  test('every member index is a user of the population', () => {
    for (const r of generateRoomMix(300, 3)) for (const m of r.members) assert.ok(Number.isInteger(m) && m >= 0 && m < 300);
  });

  test('audienceSizes counts distinct other users sharing any room', () => {
    const rooms: MixRoom[] = [
      { kind: 'dm', members: [0, 1] },
      { kind: 'team', members: [0, 1, 2] },
      { kind: 'dm', members: [3, 4] },
    ];
    assert.deepEqual([...audienceSizes(rooms, 6)], [2, 2, 2, 1, 1, 0]);
  });

  test('describeMix states the mix that was drawn', () => {
    const rooms = generateRoomMix(2000, 1);
    const d = describeMix(rooms, 2000, 1);
    assert.equal(d.dm.rooms, 3000);
    assert.equal(d.large.rooms, 3);
    assert.ok(d.team.minSize >= 5 && d.team.maxSize <= 50);
    assert.ok(d.meanAudience > 0 && d.maxAudience <= 1999);
    assert.ok(d.meanRoomsPerUser > DEFAULT_MIX.dmsPerUser + DEFAULT_MIX.teamsPerUser);
  });

  test('seededRandom is deterministic and in [0, 1)', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    for (let i = 0; i < 1000; i++) {
      const x = a();
      assert.equal(x, b());
      assert.ok(x >= 0 && x < 1);
    }
  });
});
