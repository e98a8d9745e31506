/**
 * Each room's newest events, kept as this process stores them, so that a long-poll woken
 * by a message reads its timeline from memory: one message in a room of 2,000 would
 * otherwise be the same storage query 2,000 times. Pure bookkeeping, no I/O.
 *
 * A room's window is complete above a point: it holds every event of the room after
 * max(knownFrom, window.from), where knownFrom is the stream position at start-up (events
 * up to it were never noted) and window.from rises as old events are let go. Every answer
 * is either exact or `undefined` ("ask storage"), never a guess.
 *
 * Events must be noted in stream order within a room; RoomEvents stores one room's events
 * one at a time and notes each before the next starts.
 */
import type { StoredEvent } from '../../rooms/index.js';

interface Window {
  /** Every event of the room after this position is in `events` (with knownFrom). */
  from: number;
  /** Ascending stream positions. */
  events: StoredEvent[];
}

export interface RecentEventsLimits {
  /** Most events kept per room; older ones are let go first. */
  perRoom: number;
  /** Most events kept in all; the rooms written least recently are emptied first. */
  total: number;
}

export const DEFAULT_RECENT_EVENTS: Readonly<RecentEventsLimits> = Object.freeze({ perRoom: 32, total: 20_000 });

export class RecentEvents {
  /** In order of each room's latest write, oldest first: the eviction order. */
  private readonly windows = new Map<string, Window>();
  private held = 0;

  constructor(private readonly limits: RecentEventsLimits = DEFAULT_RECENT_EVENTS) {}

  /** How many events are held, over all rooms. */
  size(): number {
    return this.held;
  }

  note(ev: StoredEvent): void {
    const roomId = ev.pdu.room_id;
    let w = this.windows.get(roomId);
    if (w) this.windows.delete(roomId);
    else w = { from: -1, events: [] };
    this.windows.set(roomId, w);
    if (this.limits.perRoom <= 0 || this.limits.total <= 0) {
      w.from = Math.max(w.from, ev.streamPos);
      return;
    }
    const redacts = ev.pdu.type === 'm.room.redaction' ? ev.pdu.redacts : undefined;
    if (typeof redacts === 'string') this.markRedacted(w, redacts, ev.pdu.event_id);
    w.events.push(ev);
    this.held++;
    if (w.events.length > this.limits.perRoom) {
      w.from = w.events.shift()!.streamPos;
      this.held--;
    }
    if (this.held > this.limits.total) this.evict();
  }

  /**
   * The newest `n` events of the room in (from, to], newest first (as storage's backward
   * read gives them); undefined when events in that range may have been let go.
   */
  newest(roomId: string, from: number, to: number, n: number, knownFrom: number): StoredEvent[] | undefined {
    const out: StoredEvent[] = [];
    const complete = this.scan(roomId, from, to, knownFrom, (ev) => {
      out.push(ev);
      return out.length < n;
    });
    return complete || out.length >= n ? out : undefined;
  }

  /** Whether the room has an event in (from, to]; undefined when the window cannot say. */
  any(roomId: string, from: number, to: number, knownFrom: number): boolean | undefined {
    let found = false;
    const complete = this.scan(roomId, from, to, knownFrom, () => {
      found = true;
      return false;
    });
    return found || complete ? found : undefined;
  }

  /** How many of the room's events in (from, to] pass `keep`; undefined when the window cannot say. */
  count(roomId: string, from: number, to: number, knownFrom: number, keep: (ev: StoredEvent) => boolean): number | undefined {
    let n = 0;
    const complete = this.scan(roomId, from, to, knownFrom, (ev) => {
      if (keep(ev)) n++;
      return true;
    });
    return complete ? n : undefined;
  }

  /**
   * Visits the room's events in (from, to], newest first, while visit returns true.
   * Returns false when an event of that range that would have been visited may have been
   * let go: the caller must then ask storage.
   */
  private scan(roomId: string, from: number, to: number, knownFrom: number, visit: (ev: StoredEvent) => boolean): boolean {
    const w = this.windows.get(roomId);
    const coveredFrom = Math.max(knownFrom, w?.from ?? -1);
    if (!w) return from >= coveredFrom;
    for (let i = w.events.length - 1; i >= 0; i--) {
      const ev = w.events[i];
      if (ev.streamPos > to) continue;
      if (ev.streamPos <= from) return true;
      if (!visit(ev)) return true;
    }
    return from >= coveredFrom;
  }

  /** Storage marks the first redaction of an event; the window mirrors it. */
  private markRedacted(w: Window, targetId: string, by: string): void {
    const i = w.events.findIndex((e) => e.pdu.event_id === targetId);
    if (i >= 0 && w.events[i].redactedBy === null) w.events[i] = { ...w.events[i], redactedBy: by };
  }

  /**
   * Empties the least recently written rooms until the total fits. An emptied window moves
   * to the back, so the front of the map is always a room that still holds events.
   */
  private evict(): void {
    while (this.held > this.limits.total) {
      const first = this.windows.entries().next();
      if (first.done) return;
      const [roomId, w] = first.value;
      this.windows.delete(roomId);
      this.windows.set(roomId, w);
      if (w.events.length === 0) continue;
      w.from = w.events[w.events.length - 1].streamPos;
      this.held -= w.events.length;
      w.events = [];
    }
  }
}
