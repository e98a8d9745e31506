/**
 * Presence stream positions in memory: which user changed at which position, and for
 * whom. An incremental /sync reads the entries after its token; a token older than the
 * oldest kept entry gets a complete snapshot instead.
 */
import { withProps } from '../common/objects.js';

export type LogEntry =
  /** The user's presence changed as others see it. */
  | { pos: number; userId: string; scope: 'all' }
  /** Only the user's own view changed (e.g. appear-offline while already offline). */
  | { pos: number; userId: string; scope: 'self' }
  /** userId joined roomId: members learn userId's presence, userId learns the members'. */
  | { pos: number; userId: string; scope: 'room'; roomId: string };

export type NewEntry = LogEntry extends infer E ? (E extends LogEntry ? Omit<E, 'pos'> : never) : never;

export class ChangeLog {
  private entries: LogEntry[] = [];
  /** Positions at or below this are no longer in the log. */
  private floor: number;
  /** Every position at or below this is known (dense positions: nothing can still arrive below it). */
  private pos: number;
  /** Positions above `pos` already received out of order (several instances publish concurrently). */
  private readonly ahead = new Set<number>();
  /** Each user's latest 'all' entry, so a far-behind reader can ask per user instead of reading every entry. */
  private readonly lastAll = new Map<string, number>();
  /** The 'self' and 'room' entries alone, in position order: few, and read in full by such a reader. */
  private rare: LogEntry[] = [];

  constructor(start: number, private readonly maxEntries = 200_000) {
    this.floor = start;
    this.pos = start;
  }

  position(): number {
    return this.pos;
  }

  append(e: NewEntry): number {
    // The single-writer case: this process allocates every position itself.
    this.insert(withProps(e, { pos: this.pos + 1 }) as LogEntry);
    return this.entries[this.entries.length - 1].pos;
  }

  /**
   * Adds an entry whose position another party allocated. The readable position only
   * advances over a contiguous run, so a reader never skips an entry still in flight.
   */
  insert(e: LogEntry): void {
    if (e.pos <= this.floor) return;
    let i = this.entries.length;
    while (i > 0 && this.entries[i - 1].pos > e.pos) i--;
    this.entries.splice(i, 0, e);
    if (e.scope === 'all') {
      if ((this.lastAll.get(e.userId) ?? -1) < e.pos) this.lastAll.set(e.userId, e.pos);
    } else {
      let j = this.rare.length;
      while (j > 0 && this.rare[j - 1].pos > e.pos) j--;
      this.rare.splice(j, 0, e);
    }
    if (e.pos > this.pos) this.ahead.add(e.pos);
    while (this.ahead.delete(this.pos + 1)) this.pos += 1;
    this.trim();
  }

  /** Declares every position up to p known (after a catch-up read filled what was missed). */
  advanceTo(p: number): void {
    if (p <= this.pos) return;
    this.pos = p;
    for (const a of this.ahead) if (a <= p) this.ahead.delete(a);
    while (this.ahead.delete(this.pos + 1)) this.pos += 1;
  }

  /** True while entries above the readable position wait for a missing one. */
  stalled(): boolean {
    return this.ahead.size > 0;
  }

  private trim(): void {
    if (this.entries.length > this.maxEntries) {
      const drop = Math.floor(this.maxEntries / 2);
      this.floor = this.entries[drop - 1].pos;
      this.entries = this.entries.slice(drop);
      this.rare = this.rare.slice(firstAfter(this.rare, this.floor));
    }
  }

  /** False when entries after `since` have been trimmed: the caller needs a snapshot. */
  covers(since: number): boolean {
    return since >= this.floor;
  }

  /** Entries with since < pos <= to, oldest first. */
  *between(since: number, to: number): Iterable<LogEntry> {
    for (let i = firstAfter(this.entries, since); i < this.entries.length && this.entries[i].pos <= to; i++) yield this.entries[i];
  }

  /** How many entries between() would give, without reading them. */
  countBetween(since: number, to: number): number {
    return Math.max(0, firstAfter(this.entries, to) - firstAfter(this.entries, since));
  }

  /** The 'self' and 'room' entries with since < pos <= to, oldest first. */
  *rareBetween(since: number, to: number): Iterable<LogEntry> {
    for (let i = firstAfter(this.rare, since); i < this.rare.length && this.rare[i].pos <= to; i++) yield this.rare[i];
  }

  /** Position of the user's latest 'all' entry (possibly already trimmed), or -1. */
  lastChange(userId: string): number {
    return this.lastAll.get(userId) ?? -1;
  }
}

/** Index of the first entry whose position is above p (binary search: called on every wake-up). */
function firstAfter(entries: readonly LogEntry[], p: number): number {
  let lo = 0;
  let hi = entries.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (entries[mid].pos <= p) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
