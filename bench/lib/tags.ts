/**
 * Tags the bench writes into status_msg, how observers find them in raw /sync bodies
 * without parsing the JSON, and how deliveries are accounted when a server coalesces.
 *
 * A tag is `bench:<run>:<sender>:<k>:<seq>`: sender is the bench's index of the user
 * whose presence changed, k the sender's own update ordinal (1, 2, ...), and seq the
 * run-wide sequence the writer timestamped. Only [a-z0-9:] appear, so a tag is never
 * escaped inside JSON and a plain substring search finds it.
 */
import { firstAbove } from '../../src/common/sorted.js';

export interface Tag {
  sender: number;
  k: number;
  seq: number;
}

export function makeTag(run: string, t: Tag): string {
  return `bench:${run}:${t.sender}:${t.k}:${t.seq}`;
}

/** The warm-up marker: sent once before measuring so every observer is known to be listening. */
export function warmTag(run: string): string {
  return `benchwarm:${run}`;
}

/** A run id short enough to keep tags small, distinct between runs. */
export function newRunId(rand: () => number = Math.random): string {
  return Math.floor(rand() * 36 ** 6).toString(36).padStart(6, '0');
}

function readUint(text: string, at: number): [value: number, end: number] {
  let v = 0;
  let i = at;
  for (; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 48 || c > 57) break;
    v = v * 10 + (c - 48);
  }
  return [i === at ? -1 : v, i];
}

/** Calls onTag for every well-formed tag of this run in text, in order of appearance. */
export function scanTags(text: string, run: string, onTag: (sender: number, k: number, seq: number) => void): void {
  const prefix = `bench:${run}:`;
  let from = 0;
  for (;;) {
    const at = text.indexOf(prefix, from);
    if (at < 0) return;
    let i = at + prefix.length;
    const [sender, e1] = readUint(text, i);
    i = e1;
    if (sender < 0 || text.charCodeAt(i) !== 58) { from = i; continue; }
    const [k, e2] = readUint(text, i + 1);
    i = e2;
    if (k < 0 || text.charCodeAt(i) !== 58) { from = i; continue; }
    const [seq, e3] = readUint(text, i + 1);
    from = e3;
    if (seq >= 0) onTag(sender, k, seq);
  }
}

/** The /sync next_batch, read without parsing the body; falls back to JSON.parse on escapes. */
export function nextBatchOf(text: string): string | undefined {
  const key = '"next_batch":';
  let at = text.indexOf(key);
  if (at < 0) return undefined;
  at += key.length;
  while (text.charCodeAt(at) === 32) at++;
  if (text.charCodeAt(at) !== 34) return undefined;
  const end = text.indexOf('"', at + 1);
  if (end < 0) return undefined;
  const raw = text.slice(at + 1, end);
  // A slice of a big body can keep the whole body alive (V8 sliced strings); the token
  // outlives the body by a whole long-poll, so it is copied out. JSON.parse of the quoted
  // slice makes a fresh string, and handles the no-escape case only.
  if (!raw.includes('\\')) return JSON.parse(`"${raw}"`) as string;
  try {
    const v = (JSON.parse(text) as { next_batch?: unknown }).next_batch;
    return typeof v === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

export interface DeliveryCounts {
  /** Tags seen for the first time by an observer. */
  delivered: number;
  /** Tags an observer never saw but skipped over: it saw a later update by the same sender. */
  coalesced: number;
  /** A tag seen again by the same observer. */
  duplicates: number;
  /** A skipped tag that arrived after a later one (moved from coalesced to delivered). */
  reordered: number;
}

export function emptyCounts(): DeliveryCounts {
  return { delivered: 0, coalesced: 0, duplicates: 0, reordered: 0 };
}

interface PairState {
  lastK: number;
  /** Ordinals below lastK seen late; created only when reordering happens. */
  late?: Set<number>;
}

/**
 * Per (observer, sender) accounting. A server may legitimately coalesce: an observer that
 * sees update k of a sender without having seen k-1 counts k-1 as coalesced, not lost.
 * `see` returns true when the sighting is a first delivery (one to time).
 */
export class DeliveryTracker {
  readonly counts: DeliveryCounts = emptyCounts();
  private readonly pairs = new Map<number, Map<number, PairState>>();
  /**
   * Per sender, the ordinals the server refused (sorted): they were never owed, so an
   * observer skipping over one has not coalesced it.
   */
  private readonly refused = new Map<number, number[]>();

  see(observer: number, sender: number, k: number): boolean {
    let bySender = this.pairs.get(observer);
    if (!bySender) this.pairs.set(observer, (bySender = new Map()));
    let st = bySender.get(sender);
    if (!st) bySender.set(sender, (st = { lastK: 0 }));
    if (k > st.lastK) {
      this.counts.delivered++;
      this.counts.coalesced += k - st.lastK - 1 - this.refusedBetween(sender, st.lastK, k);
      st.lastK = k;
      return true;
    }
    if (k === st.lastK || k < 1) {
      this.counts.duplicates++;
      return false;
    }
    st.late ??= new Set();
    if (st.late.has(k)) {
      this.counts.duplicates++;
      return false;
    }
    st.late.add(k);
    // A refused update that shows up anyway was not counted as coalesced when skipped.
    if (this.refusedBetween(sender, k - 1, k + 1) === 0) this.counts.coalesced--;
    this.counts.delivered++;
    this.counts.reordered++;
    return true;
  }

  /**
   * The server refused update k of sender (an error status): observers that already
   * skipped over it counted it as coalesced, which it was not.
   */
  refuse(sender: number, k: number): void {
    let list = this.refused.get(sender);
    if (!list) this.refused.set(sender, (list = []));
    const at = firstAbove(list, k);
    if (list[at - 1] === k) return;
    list.splice(at, 0, k);
    for (const bySender of this.pairs.values()) {
      const st = bySender.get(sender);
      if (st && st.lastK > k && !st.late?.has(k)) this.counts.coalesced--;
    }
  }

  /** Refused ordinals of sender strictly between lo and hi (ordinals are integers). */
  private refusedBetween(sender: number, lo: number, hi: number): number {
    const list = this.refused.get(sender);
    if (!list || hi - lo <= 1) return 0;
    return firstAbove(list, hi - 1) - firstAbove(list, lo);
  }
}

export function addCounts(into: DeliveryCounts, c: DeliveryCounts): DeliveryCounts {
  into.delivered += c.delivered;
  into.coalesced += c.coalesced;
  into.duplicates += c.duplicates;
  into.reordered += c.reordered;
  return into;
}

/** Expected minus what was delivered or knowingly coalesced: updates some observer never learnt of. */
export function missingOf(expected: number, c: DeliveryCounts): number {
  return Math.max(0, expected - c.delivered - c.coalesced);
}
