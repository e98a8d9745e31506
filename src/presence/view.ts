/**
 * What a viewer is shown (DESIGN §1.3, §1.4). Views settle the time-driven rules at `now`
 * first, so a late timer never shows a stale state, and compute last_active_ago at serve
 * time (it is never stored).
 */
import { isCurrentlyActive, settle } from './timeouts.js';
import type { PresenceContent, PresenceStatusBody, PresenceState, PresenceTimers, PublishedSig, UserPresence } from './types.js';
import { unionOf } from './union.js';

export interface ViewOptions {
  /** The viewer is the user themself (any of their devices). */
  self: boolean;
}

/** m.presence content for sync / federation: status_msg left out when there is none. */
export function viewFor(state: UserPresence, now: number, cfg: PresenceTimers, opts: ViewOptions): PresenceContent {
  const s = settle(state, now, cfg);
  // Appear offline: others learn nothing but "offline" (seed 000 `hidden`, seed 004).
  if (s.appearOffline && !opts.self) return { presence: 'offline' };
  const presence = unionOf(s.devices).state;
  const content: PresenceContent = { presence };
  if (s.lastActiveTs !== null) content.last_active_ago = Math.max(0, now - s.lastActiveTs);
  // currently_active is only meaningful, and only sent, with online (seed 002).
  if (presence === 'online') content.currently_active = isCurrentlyActive(s.lastActiveTs, now, cfg);
  if (s.statusMsg !== null) content.status_msg = s.statusMsg;
  if (s.appearOffline) content.appear_offline = true;
  return content;
}

/** Body of GET /presence/{userId}/status: the same fields, status_msg always present (null when none). */
export function getStatusBody(state: UserPresence, now: number, cfg: PresenceTimers, opts: ViewOptions): PresenceStatusBody {
  const { status_msg, ...rest } = viewFor(state, now, cfg, opts);
  return { ...rest, status_msg: status_msg ?? null };
}

/** The significant part of a view, compared with what was last published. */
export function sigOf(content: PresenceContent): PublishedSig {
  return {
    presence: content.presence,
    currentlyActive: content.currently_active ?? null,
    statusMsg: content.status_msg ?? null,
    appearOffline: content.appear_offline === true,
  };
}

export function sigEqual(a: PublishedSig, b: PublishedSig): boolean {
  return (
    a.presence === b.presence &&
    a.currentlyActive === b.currentlyActive &&
    a.statusMsg === b.statusMsg &&
    a.appearOffline === b.appearOffline
  );
}

export interface DeviceDetail {
  device_id: string;
  presence: PresenceState;
  last_active_ago?: number;
  /** A /sync from this device is in flight. */
  syncing: boolean;
  last_sync_ago?: number;
}

/** The unstable "read one's own full presence" answer: every device and the union. */
export interface SelfPresenceDetail {
  presence: PresenceState;
  last_active_ago?: number;
  currently_active?: boolean;
  status_msg: string | null;
  appear_offline: boolean;
  /** The device whose state won the union; null when the user has none. */
  decided_by: string | null;
  devices: DeviceDetail[];
}

export function selfDetail(state: UserPresence, now: number, cfg: PresenceTimers): SelfPresenceDetail {
  const s = settle(state, now, cfg);
  const { presence, last_active_ago, currently_active } = viewFor(s, now, cfg, { self: true });
  const devices = [...s.devices]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([deviceId, d]): DeviceDetail => {
      const detail: DeviceDetail = { device_id: deviceId, presence: d.state, syncing: d.activeSyncs > 0 };
      if (d.lastActiveTs !== null) detail.last_active_ago = Math.max(0, now - d.lastActiveTs);
      if (d.lastSyncTs !== null) detail.last_sync_ago = Math.max(0, now - d.lastSyncTs);
      return detail;
    });
  const detail: SelfPresenceDetail = {
    presence,
    status_msg: s.statusMsg,
    appear_offline: s.appearOffline,
    decided_by: unionOf(s.devices).deviceId,
    devices,
  };
  if (last_active_ago !== undefined) detail.last_active_ago = last_active_ago;
  if (currently_active !== undefined) detail.currently_active = currently_active;
  return detail;
}
