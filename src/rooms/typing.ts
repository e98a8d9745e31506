import type { Clock } from '../common/clock.js';

/** Typing notifications: ephemeral, in memory, each with its own expiry. */
export class Typing {
  private pos = 0;
  private readonly rooms = new Map<string, Map<string, number>>();
  private readonly roomPos = new Map<string, number>();
  private readonly listeners: ((roomId: string, pos: number) => void)[] = [];

  /**
   * positionsFromClock: positions follow the clock (never less than the last plus one), so
   * several instances, each with its own typing state, hand out comparable positions and a
   * token from one instance means about the same moment on another.
   */
  constructor(private readonly clock: Clock, private readonly maxTimeoutMs = 120_000, private readonly positionsFromClock = false) {}

  onChange(fn: (roomId: string, pos: number) => void): void {
    this.listeners.push(fn);
  }

  position(): number {
    return this.pos;
  }

  set(roomId: string, userId: string, typing: boolean, timeoutMs = 30_000): void {
    let users = this.rooms.get(roomId);
    const was = users?.has(userId) ?? false;
    if (typing) {
      if (!users) this.rooms.set(roomId, (users = new Map()));
      const until = this.clock.now() + Math.min(Math.max(timeoutMs, 0), this.maxTimeoutMs);
      users.set(userId, until);
      this.clock.setTimeout(() => this.expire(roomId, userId), until - this.clock.now());
    } else {
      users?.delete(userId);
    }
    if (was !== typing) this.bump(roomId);
  }

  /** A timer re-checks the stored deadline, so an older timer after a renewal does nothing. */
  private expire(roomId: string, userId: string): void {
    const users = this.rooms.get(roomId);
    const until = users?.get(userId);
    if (until === undefined || until > this.clock.now()) return;
    users!.delete(userId);
    if (users!.size === 0) this.rooms.delete(roomId);
    this.bump(roomId);
  }

  private bump(roomId: string): void {
    this.pos = this.positionsFromClock ? Math.max(this.pos + 1, this.clock.now()) : this.pos + 1;
    this.roomPos.set(roomId, this.pos);
    for (const l of this.listeners) l(roomId, this.pos);
  }

  typingIn(roomId: string): string[] {
    const now = this.clock.now();
    return [...(this.rooms.get(roomId) ?? new Map<string, number>()).entries()].filter(([, t]) => t > now).map(([u]) => u);
  }

  changedSince(roomId: string, since: number): boolean {
    return (this.roomPos.get(roomId) ?? 0) > since;
  }
}
