/** How presence reads on screen: labels (never colour alone), "active … ago", ordering. */
import type { PresenceInfo } from './model.js';

const LABELS: Record<string, string> = {
  online: 'Online',
  unavailable: 'Idle',
  offline: 'Offline',
  free_for_chat: 'Free for chat',
};

/** The text shown next to the indicator; the wire state picks the colour and shape. */
export function presenceLabel(presence: string): string {
  return LABELS[presence] ?? 'Unknown';
}

/** A CSS-safe state name for the indicator's class. */
export function presenceClass(presence: string): string {
  return presence in LABELS ? presence : 'offline';
}

const RANK: Record<string, number> = { free_for_chat: 0, online: 1, unavailable: 2, offline: 3 };

export function presenceRank(presence: string | undefined): number {
  return RANK[presence ?? 'offline'] ?? 3;
}

/** "4 min ago" style, coarse on purpose: it ticks locally between server updates. */
export function formatAgo(ms: number): string {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return 'less than a minute ago';
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ago`;
  const d = Math.floor(h / 24);
  return d === 1 ? 'yesterday' : `${d} days ago`;
}

/**
 * "active now" while the server says currently_active (sent only with online), else
 * "active 4 min ago" from last_active_ago, else nothing (never active, or hidden by
 * appear-offline).
 */
export function activityText(info: PresenceInfo | undefined, now: number): string {
  if (!info) return '';
  if (info.currentlyActive && info.presence === 'online') return 'active now';
  if (info.lastActiveTs === null) return '';
  return `active ${formatAgo(now - info.lastActiveTs)}`;
}

/** The state label a user sees for themself: the real state, plus appear-offline. */
export function ownLabel(info: PresenceInfo | undefined): string {
  const real = presenceLabel(info?.presence ?? 'offline');
  return info?.appearOffline ? `${real} · appearing offline` : real;
}
