/**
 * The population scenario's rooms, drawn from a stated mix (bench/README.md "Room mix"):
 * direct chats, teams of 5 to 50, and a few rooms of 1,000+. Deterministic for a seed,
 * so a stored population can be reused and two servers get the same rooms.
 */

export interface RoomMixParams {
  /** Average number of DMs each user is in (each DM has two members). */
  dmsPerUser: number;
  /** Average number of teams each user is in. */
  teamsPerUser: number;
  teamMin: number;
  teamMax: number;
  /** Sizes of the large rooms, each capped at the population. */
  largeSizes: number[];
}

export const DEFAULT_MIX: Readonly<RoomMixParams> = Object.freeze({
  dmsPerUser: 3,
  teamsPerUser: 2,
  teamMin: 5,
  teamMax: 50,
  largeSizes: [1000, 1500, 2500],
});

export type RoomKind = 'dm' | 'team' | 'large';

export interface MixRoom {
  kind: RoomKind;
  /** User indices; members[0] creates the room. */
  members: number[];
}

/** mulberry32: small, fast and good enough to draw a room mix reproducibly. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sample(users: number, size: number, rand: () => number): number[] {
  const n = Math.min(size, users);
  if (n * 2 >= users) {
    // Dense: partial Fisher-Yates over all users.
    const all = Array.from({ length: users }, (_, i) => i);
    for (let i = 0; i < n; i++) {
      const j = i + Math.floor(rand() * (users - i));
      [all[i], all[j]] = [all[j], all[i]];
    }
    return all.slice(0, n);
  }
  const picked = new Set<number>();
  while (picked.size < n) picked.add(Math.floor(rand() * users));
  return [...picked];
}

export function generateRoomMix(users: number, seed: number, p: RoomMixParams = DEFAULT_MIX): MixRoom[] {
  if (users < 2) throw new Error('a room mix needs at least 2 users');
  const rand = seededRandom(seed);
  const rooms: MixRoom[] = [];
  const dms = Math.round((users * p.dmsPerUser) / 2);
  for (let i = 0; i < dms; i++) {
    const a = Math.floor(rand() * users);
    let b = Math.floor(rand() * (users - 1));
    if (b >= a) b++;
    rooms.push({ kind: 'dm', members: [a, b] });
  }
  const teamMemberships = users * p.teamsPerUser;
  const lnMin = Math.log(p.teamMin);
  const lnMax = Math.log(p.teamMax);
  for (let placed = 0; placed < teamMemberships; ) {
    // Log-uniform sizes: small teams are common, 50-person ones rare.
    const size = Math.min(users, Math.round(Math.exp(lnMin + rand() * (lnMax - lnMin))));
    rooms.push({ kind: 'team', members: sample(users, size, rand) });
    placed += size;
  }
  for (const s of p.largeSizes) rooms.push({ kind: 'large', members: sample(users, s, rand) });
  return rooms;
}

/** For each user, how many distinct other users share a room with them: who sees their presence. */
export function audienceSizes(rooms: MixRoom[], users: number): Int32Array {
  const roomsOf: number[][] = Array.from({ length: users }, () => []);
  rooms.forEach((r, i) => {
    for (const m of r.members) roomsOf[m].push(i);
  });
  const mark = new Int32Array(users);
  const out = new Int32Array(users);
  for (let u = 0; u < users; u++) {
    const stamp = u + 1;
    mark[u] = stamp;
    let n = 0;
    for (const ri of roomsOf[u]) {
      for (const m of rooms[ri].members) {
        if (mark[m] !== stamp) {
          mark[m] = stamp;
          n++;
        }
      }
    }
    out[u] = n;
  }
  return out;
}

export interface MixDescription {
  users: number;
  seed: number;
  params: RoomMixParams;
  dm: { rooms: number };
  team: { rooms: number; minSize: number; maxSize: number; meanSize: number };
  large: { rooms: number; sizes: number[] };
  meanRoomsPerUser: number;
  /** Distinct users who see one user's presence, averaged over users. */
  meanAudience: number;
  maxAudience: number;
}

export function describeMix(rooms: MixRoom[], users: number, seed: number, params: RoomMixParams = DEFAULT_MIX): MixDescription {
  const teams = rooms.filter((r) => r.kind === 'team').map((r) => r.members.length);
  const memberships = rooms.reduce((n, r) => n + r.members.length, 0);
  const aud = audienceSizes(rooms, users);
  let sum = 0;
  let max = 0;
  for (const a of aud) {
    sum += a;
    if (a > max) max = a;
  }
  return {
    users,
    seed,
    params: { ...params, largeSizes: [...params.largeSizes] },
    dm: { rooms: rooms.filter((r) => r.kind === 'dm').length },
    team: {
      rooms: teams.length,
      minSize: teams.length ? Math.min(...teams) : 0,
      maxSize: teams.length ? Math.max(...teams) : 0,
      meanSize: teams.length ? teams.reduce((a, b) => a + b, 0) / teams.length : 0,
    },
    large: { rooms: rooms.filter((r) => r.kind === 'large').length, sizes: rooms.filter((r) => r.kind === 'large').map((r) => r.members.length) },
    meanRoomsPerUser: memberships / users,
    meanAudience: sum / users,
    maxAudience: max,
  };
}
