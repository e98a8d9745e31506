import type { Clock } from '../common/clock.js';
import { MatrixError } from '../common/errors.js';
import type { JsonObject } from '../common/events.js';
import { isUserId, newRoomId } from '../common/ids.js';
import { canonicalJson } from '../federation/index.js';
import { defaultPowerLevelContent } from './auth/index.js';
import type { Memberships, ProfileLookup } from './membership.js';
import type { RoomEvents } from './service.js';

export type Preset = 'private_chat' | 'public_chat' | 'trusted_private_chat';

export interface CreateRoomRequest {
  visibility?: 'public' | 'private';
  room_alias_name?: string;
  name?: string;
  topic?: string;
  invite?: string[];
  room_version?: string;
  creation_content?: JsonObject;
  initial_state?: { type: string; state_key?: string; content: JsonObject }[];
  preset?: Preset;
  is_direct?: boolean;
  power_level_content_override?: JsonObject;
}

const SUPPORTED_VERSIONS = ['10'];

/** Builds a room the way the spec's createRoom describes: events in its stated order. */
export class RoomCreator {
  constructor(
    private readonly rooms: RoomEvents,
    private readonly members: Memberships,
    private readonly profileOf: ProfileLookup,
    private readonly clock: Clock,
  ) {}

  async create(creator: string, req: CreateRoomRequest): Promise<string> {
    const version = req.room_version ?? '10';
    if (!SUPPORTED_VERSIONS.includes(version)) {
      throw new MatrixError(400, 'M_UNSUPPORTED_ROOM_VERSION', `Room version ${version} is not supported`);
    }
    const invites = req.invite ?? [];
    for (const u of invites) if (!isUserId(u)) throw new MatrixError(400, 'M_INVALID_PARAM', `${u} is not a valid user ID`);
    // Checked before anything is written, so a refused request leaves no half-built room.
    checkEncodable('creation_content', req.creation_content ?? {});
    checkEncodable('power_level_content_override', req.power_level_content_override ?? {});
    for (const s of req.initial_state ?? []) checkEncodable(`initial_state ${s.type}`, s.content);
    checkEncodable('name and topic', { name: req.name ?? '', topic: req.topic ?? '' });
    const preset: Preset = req.preset ?? (req.visibility === 'public' ? 'public_chat' : 'private_chat');
    const serverName = this.rooms.serverName;
    let alias: string | undefined;
    if (req.room_alias_name !== undefined) {
      if (!/^[^:\s]+$/.test(req.room_alias_name)) throw new MatrixError(400, 'M_INVALID_PARAM', 'room_alias_name must not contain ":" or spaces');
      alias = `#${req.room_alias_name}:${serverName}`;
      if (await this.rooms.store.getAlias(alias)) throw new MatrixError(400, 'M_ROOM_IN_USE', 'Room alias already taken');
    }

    const roomId = newRoomId(serverName);
    await this.rooms.store.createRoom({ roomId, roomVersion: version, creator, isPublic: req.visibility === 'public' }, this.clock.now());
    const send = (type: string, content: JsonObject, stateKey = '') => this.rooms.send(creator, roomId, type, content, { stateKey });

    await send('m.room.create', { ...(req.creation_content ?? {}), creator, room_version: version });
    const profile = await this.profileOf(creator).catch(() => ({ displayname: null, avatar_url: null }));
    await send('m.room.member', { membership: 'join', displayname: profile.displayname, avatar_url: profile.avatar_url }, creator);
    const pl = defaultPowerLevelContent(creator, preset, invites) as JsonObject;
    await send('m.room.power_levels', { ...pl, ...(req.power_level_content_override ?? {}) });
    if (alias) {
      await this.rooms.store.putAlias(alias, roomId, creator);
      await send('m.room.canonical_alias', { alias });
    }
    await send('m.room.join_rules', { join_rule: preset === 'public_chat' ? 'public' : 'invite' });
    await send('m.room.history_visibility', { history_visibility: 'shared' });
    if (preset !== 'public_chat') await send('m.room.guest_access', { guest_access: 'can_join' });
    for (const s of req.initial_state ?? []) {
      if (s.type === 'm.room.create' || s.type === 'm.room.member') continue;
      await send(s.type, s.content, s.state_key ?? '');
    }
    if (req.name !== undefined) await send('m.room.name', { name: req.name });
    if (req.topic !== undefined) await send('m.room.topic', { topic: req.topic });
    for (const u of invites) await this.members.invite(creator, roomId, u, undefined, req.is_direct === true);
    return roomId;
  }
}

/** Room version 10 events are hashed over canonical JSON: no floats, huge integers or lone surrogates. */
function checkEncodable(what: string, value: unknown): void {
  try {
    canonicalJson(value);
  } catch (e) {
    throw new MatrixError(400, 'M_BAD_JSON', `${what}: ${(e as Error).message}`);
  }
}
