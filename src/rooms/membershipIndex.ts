/**
 * Who is joined where, in memory, kept current on every membership change. Presence
 * fan-out and the sync notifier read it instead of querying memberships per update.
 */
export class MembershipIndex {
  private readonly roomMembers = new Map<string, Set<string>>();
  private readonly userRooms = new Map<string, Set<string>>();

  load(rows: Iterable<{ roomId: string; userId: string }>): void {
    for (const r of rows) this.add(r.roomId, r.userId);
  }

  /** Forgets everything and loads afresh (after changes by other instances may have been missed). */
  reload(rows: Iterable<{ roomId: string; userId: string }>): void {
    this.roomMembers.clear();
    this.userRooms.clear();
    this.load(rows);
  }

  /** Applies a membership event; returns true if the joined set changed. */
  apply(roomId: string, userId: string, membership: string): boolean {
    return membership === 'join' ? this.add(roomId, userId) : this.remove(roomId, userId);
  }

  private add(roomId: string, userId: string): boolean {
    let members = this.roomMembers.get(roomId);
    if (!members) this.roomMembers.set(roomId, (members = new Set()));
    if (members.has(userId)) return false;
    members.add(userId);
    let rooms = this.userRooms.get(userId);
    if (!rooms) this.userRooms.set(userId, (rooms = new Set()));
    rooms.add(roomId);
    return true;
  }

  private remove(roomId: string, userId: string): boolean {
    const members = this.roomMembers.get(roomId);
    if (!members?.delete(userId)) return false;
    if (members.size === 0) this.roomMembers.delete(roomId);
    const rooms = this.userRooms.get(userId);
    rooms?.delete(roomId);
    if (rooms?.size === 0) this.userRooms.delete(userId);
    return true;
  }

  members(roomId: string): ReadonlySet<string> {
    return this.roomMembers.get(roomId) ?? EMPTY;
  }

  roomsOf(userId: string): ReadonlySet<string> {
    return this.userRooms.get(userId) ?? EMPTY;
  }

  isJoined(roomId: string, userId: string): boolean {
    return this.roomMembers.get(roomId)?.has(userId) ?? false;
  }

  sharesRoom(a: string, b: string): boolean {
    const ra = this.roomsOf(a);
    const rb = this.roomsOf(b);
    // Called for every change a woken /sync reads: no pair array, just two branches.
    if (ra.size <= rb.size) {
      for (const r of ra) if (rb.has(r)) return true;
    } else {
      for (const r of rb) if (ra.has(r)) return true;
    }
    return false;
  }

  /** Every user sharing at least one joined room with userId (userId included if joined anywhere). */
  coMembers(userId: string): Set<string> {
    const out = new Set<string>();
    for (const r of this.roomsOf(userId)) for (const m of this.members(r)) out.add(m);
    return out;
  }
}

const EMPTY: ReadonlySet<string> = new Set();
