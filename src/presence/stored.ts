/** The storage form of a user's presence, and recovery after a restart. */
import type { DevicePresence, PresenceState, PublishedSig, UserPresence } from './types.js';

export interface StoredDevice {
  deviceId: string;
  state: PresenceState;
  lastActiveTs: number | null;
  lastSyncTs: number | null;
  activeSyncs: number;
  syncPresence: 'online' | 'unavailable' | null;
}

/** JSON-safe; `v` lets a later shape be told apart. */
export interface StoredPresence {
  v: 1;
  statusMsg: string | null;
  appearOffline: boolean;
  lastActiveTs: number | null;
  devices: StoredDevice[];
  published: { others: PublishedSig; self: PublishedSig };
}

export function toStored(state: UserPresence): StoredPresence {
  return {
    v: 1,
    statusMsg: state.statusMsg,
    appearOffline: state.appearOffline,
    lastActiveTs: state.lastActiveTs,
    devices: [...state.devices].map(([deviceId, d]) => ({ deviceId, ...d })),
    published: { others: { ...state.published.others }, self: { ...state.published.self } },
  };
}

const STATES: ReadonlySet<unknown> = new Set(['offline', 'unavailable', 'online', 'free_for_chat']);

class StoredPresenceError extends Error {
  constructor(what: string) {
    super(`invalid stored presence: ${what}`);
  }
}

function check(ok: boolean, what: string): void {
  if (!ok) throw new StoredPresenceError(what);
}

const isTs = (v: unknown): v is number | null => v === null || (typeof v === 'number' && Number.isFinite(v));
const isMsg = (v: unknown): v is string | null => v === null || typeof v === 'string';

function readSig(raw: unknown, what: string): PublishedSig {
  const r = raw as Record<string, unknown> | null;
  check(typeof r === 'object' && r !== null, what);
  const { presence, currentlyActive, statusMsg, appearOffline } = r as Record<string, unknown>;
  check(STATES.has(presence), `${what}.presence`);
  check(currentlyActive === null || typeof currentlyActive === 'boolean', `${what}.currentlyActive`);
  check(isMsg(statusMsg), `${what}.statusMsg`);
  check(typeof appearOffline === 'boolean', `${what}.appearOffline`);
  return {
    presence: presence as PresenceState,
    currentlyActive: currentlyActive as boolean | null,
    statusMsg: statusMsg as string | null,
    appearOffline: appearOffline as boolean,
  };
}

function readDevice(raw: unknown, i: number): [string, DevicePresence] {
  const what = `devices[${i}]`;
  check(typeof raw === 'object' && raw !== null, what);
  const { deviceId, state, lastActiveTs, lastSyncTs, activeSyncs, syncPresence } = raw as Record<string, unknown>;
  check(typeof deviceId === 'string', `${what}.deviceId`);
  check(STATES.has(state), `${what}.state`);
  check(isTs(lastActiveTs) && isTs(lastSyncTs), `${what} timestamps`);
  check(Number.isInteger(activeSyncs) && (activeSyncs as number) >= 0, `${what}.activeSyncs`);
  check(syncPresence === null || syncPresence === 'online' || syncPresence === 'unavailable', `${what}.syncPresence`);
  return [
    deviceId as string,
    {
      state: state as PresenceState,
      lastActiveTs: lastActiveTs as number | null,
      lastSyncTs: lastSyncTs as number | null,
      activeSyncs: activeSyncs as number,
      syncPresence: syncPresence as 'online' | 'unavailable' | null,
    },
  ];
}

/** Parses a stored row (already JSON-decoded); throws on anything this module did not write. */
export function fromStored(row: unknown): UserPresence {
  check(typeof row === 'object' && row !== null, 'not an object');
  const r = row as Record<string, unknown>;
  check(r.v === 1, 'unknown version');
  check(isMsg(r.statusMsg), 'statusMsg');
  check(typeof r.appearOffline === 'boolean', 'appearOffline');
  check(isTs(r.lastActiveTs), 'lastActiveTs');
  check(Array.isArray(r.devices), 'devices');
  const published = r.published as Record<string, unknown> | null;
  check(typeof published === 'object' && published !== null, 'published');
  return {
    statusMsg: r.statusMsg as string | null,
    appearOffline: r.appearOffline as boolean,
    lastActiveTs: r.lastActiveTs as number | null,
    devices: new Map((r.devices as unknown[]).map(readDevice)),
    published: {
      others: readSig((published as Record<string, unknown>).others, 'published.others'),
      self: readSig((published as Record<string, unknown>).self, 'published.self'),
    },
  };
}

/**
 * After a restart no /sync is in flight any more. Every stored device is treated as if its
 * connection ended at restart time, so it is dropped sync_online_timeout later unless it
 * syncs again. All devices, not only those stored with activeSyncs > 0: /sync bookkeeping
 * is not written on every long-poll (see durableEqual), so the stored count may be stale.
 */
export function afterRestart(state: UserPresence, now: number): UserPresence {
  if (state.devices.size === 0) return state;
  const devices = new Map<string, DevicePresence>();
  for (const [id, d] of state.devices) devices.set(id, { ...d, activeSyncs: 0, lastSyncTs: Math.max(now, d.lastSyncTs ?? now) });
  return { ...state, devices };
}
