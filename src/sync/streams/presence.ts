import type { JsonObject } from '../../common/events.js';
import { viewFor } from '../../presence/view.js';
import type { Presence } from '../../presence/api.js';
import type { LogEntry } from '../../presence/changeLog.js';
import type { Inboxes } from '../../presence/inbox.js';
import { presenceFilterAllows, presenceLimit } from '../filter.js';
import type { StreamProvider, SyncContext } from './types.js';

/** Up to this many changes since a token are always read from the log. */
const SHORT_RANGE = 32;

type Profile = { displayname: string | null; avatar_url: string | null };
/** A profile, synchronously when it is cached (the usual case on a long-poll wake-up). */
export type ProfileCache = (userId: string) => Profile | Promise<Profile>;

/**
 * The presence section of /sync. Initial and full-state syncs get everyone visible
 * (offline users only with include_offline_users_on_sync); incremental syncs get each
 * changed visible user once, in their latest state.
 */
export class PresenceStream implements StreamProvider {
  readonly stream = 'presence' as const;

  /** Up to this many changes since a token are always read from the log (tests raise it to compare the two ways). */
  private readonly shortRange: number;
  /** Read viewers' inboxes where the presence service keeps them (tests turn it off to compare). */
  private readonly useInboxes: boolean;

  constructor(private readonly presence: Presence, private readonly profiles: ProfileCache, opts: { shortRange?: number; inboxes?: boolean } = {}) {
    this.shortRange = opts.shortRange ?? SHORT_RANGE;
    this.useInboxes = opts.inboxes ?? true;
  }

  position(): number {
    return this.presence.position();
  }

  fill(ctx: SyncContext): Promise<void> | void {
    if (!this.presence.enabled) return;
    const viewer = ctx.userId;
    const filter = ctx.filter.presence;
    const since = ctx.since?.presence;
    const log = this.presence.changeLog();
    const snapshot = since === undefined || ctx.fullState || !log.covers(since);
    // Introduced users (a snapshot, or members met through a join) are left out when offline.
    const users = new Map<string, { introduced: boolean }>();
    const inboxes = this.useInboxes ? this.presence.inboxes : undefined;
    if (snapshot) {
      for (const u of this.presence.visibility.visibleTo(viewer)) users.set(u, { introduced: true });
    } else if (!(inboxes && this.fromInbox(inboxes, ctx, since, users)) && !this.changedAmongAudience(ctx, since, users)) {
      for (const e of log.between(since, ctx.to.presence)) {
        if (e.scope === 'all') {
          if (this.presence.visibility.canSee(viewer, e.userId)) users.set(e.userId, { introduced: false });
        } else this.rareEntry(viewer, e, users);
      }
    }
    // From here on every change is recorded for this viewer: the next /sync reads its inbox.
    inboxes?.open(viewer, this.presence.position());
    const limit = presenceLimit(filter) ?? Number.MAX_SAFE_INTEGER;
    const events: JsonObject[] = [];
    const lookups: Promise<void>[] = [];
    for (const [userId, { introduced }] of users) {
      if (events.length >= limit) break;
      if (!presenceFilterAllows(filter, userId)) continue;
      const state = this.presence.stateOf(userId);
      if (!state && introduced && !this.presence.cfg.includeOfflineUsersOnSync) continue;
      const content: JsonObject = state
        ? { ...viewFor(state, ctx.now, this.presence.cfg, { self: userId === viewer }) }
        : { presence: 'offline' };
      if (introduced && content.presence === 'offline' && !content.appear_offline && !this.presence.cfg.includeOfflineUsersOnSync) continue;
      const profile = this.profiles(userId);
      if (profile instanceof Promise) lookups.push(profile.then((p) => addProfile(content, p)));
      else addProfile(content, profile);
      events.push({ type: 'm.presence', sender: userId, content });
    }
    if (lookups.length === 0) {
      ctx.response.presence.events.push(...events);
      return;
    }
    return Promise.all(lookups).then(() => {
      ctx.response.presence.events.push(...events);
    });
  }

  /**
   * The changes published to the viewer since the token, still visible to them now; and
   * the rare entries (own view, joins), which are not in inboxes. False when the inbox does
   * not reach back to the token.
   */
  private fromInbox(inboxes: Inboxes, ctx: SyncContext, since: number, users: Map<string, { introduced: boolean }>): boolean {
    const senders = inboxes.read(ctx.userId, since, ctx.to.presence);
    if (senders === null) return false;
    const vis = this.presence.visibility;
    // Visible when published, but the viewer or the sender may have left the room since.
    for (const u of senders) if (!users.has(u) && vis.canSee(ctx.userId, u)) users.set(u, { introduced: false });
    for (const e of this.presence.changeLog().rareBetween(since, ctx.to.presence)) this.rareEntry(ctx.userId, e, users);
    return true;
  }

  /**
   * A reader far behind (more changes since its token than people it can see, as after a
   * wave of logins) asks each visible user for their latest change instead of checking
   * every change for visibility. Returns false, having added nothing, when the scan of
   * the log is the cheaper way or the only exact one.
   */
  private changedAmongAudience(ctx: SyncContext, since: number, users: Map<string, { introduced: boolean }>): boolean {
    const log = this.presence.changeLog();
    const to = ctx.to.presence;
    const vis = this.presence.visibility;
    const changes = log.countBetween(since, to);
    // Short ranges (every long-poll kept up to date) are read directly, without the bound.
    if (changes <= this.shortRange || changes <= vis.audienceBound(ctx.userId)) return false;
    const changed: string[] = [];
    for (const u of vis.visibleTo(ctx.userId)) {
      const last = log.lastChange(u);
      // A later change already logged past `to` hides whether there was one in range.
      if (last > to) return false;
      if (last > since) changed.push(u);
    }
    for (const u of changed) users.set(u, { introduced: false });
    for (const e of log.rareBetween(since, to)) this.rareEntry(ctx.userId, e, users);
    return true;
  }

  /** A 'self' or 'room' entry: the viewer's own view changed, or a join introduced people. */
  private rareEntry(viewer: string, e: LogEntry, users: Map<string, { introduced: boolean }>): void {
    const vis = this.presence.visibility;
    if (e.scope === 'self') {
      if (e.userId === viewer) users.set(viewer, { introduced: false });
    } else if (e.scope === 'room') {
      if (e.userId === viewer) {
        // The viewer joined e.roomId: introduce that room's members, not the whole audience.
        for (const m of vis.membersOf(e.roomId)) if (!users.has(m)) users.set(m, { introduced: true });
      } else if (vis.canSee(viewer, e.userId) && !users.has(e.userId)) {
        users.set(e.userId, { introduced: true });
      }
    }
  }
}

function addProfile(content: JsonObject, profile: Profile): void {
  if (profile.displayname !== null) content.displayname = profile.displayname;
  if (profile.avatar_url !== null) content.avatar_url = profile.avatar_url;
}
