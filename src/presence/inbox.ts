import { firstAbove } from '../common/sorted.js';

/**
 * Per viewer, the positions and senders of the presence changes published to them. A
 * woken /sync reads its own few entries instead of testing every change on the server
 * for visibility: with 10,000 users online, a long-poll answered every few seconds has a
 * range of hundreds of changes of which it may see one in ten.
 *
 * Recording is exact only where positions are allocated in the same turn as the change
 * is published (one process). A viewer's inbox starts when they first sync; a reader whose
 * token is older than the inbox reaches back reads the change log instead.
 */
export class Inboxes {
  private readonly byViewer = new Map<string, ViewerInbox>();

  /** @param cap entries kept per viewer; a viewer who stops reading keeps at most this many. */
  constructor(private readonly cap = 128) {}

  /** Starts recording the viewer's changes above `from`, every position at or below it being already published. */
  open(viewer: string, from: number): void {
    if (!this.byViewer.has(viewer)) this.byViewer.set(viewer, new ViewerInbox(from));
  }

  /** A change at `pos` by userId, owed to everyone in audience. */
  record(pos: number, userId: string, audience: Iterable<string>): void {
    for (const v of audience) this.byViewer.get(v)?.push(pos, userId, this.cap);
  }

  /** Senders of the viewer's entries with since < pos <= to, oldest first; null when the inbox does not reach back to since. */
  read(viewer: string, since: number, to: number): string[] | null {
    const box = this.byViewer.get(viewer);
    if (!box || since < box.floor) return null;
    return box.between(since, to);
  }

  /** Viewers with an inbox (each holds at most cap entries). */
  size(): number {
    return this.byViewer.size;
  }
}

class ViewerInbox {
  private positions: number[] = [];
  private users: string[] = [];

  /** Changes at or below this position may be missing. */
  constructor(public floor: number) {}

  push(pos: number, userId: string, cap: number): void {
    if (pos <= this.floor) return;
    if (this.positions.length >= cap) {
      const drop = Math.max(1, cap >> 1);
      this.floor = this.positions[drop - 1];
      this.positions = this.positions.slice(drop);
      this.users = this.users.slice(drop);
    }
    // Positions come in order from the one writer; keep order anyway if one does not.
    let i = this.positions.length;
    while (i > 0 && this.positions[i - 1] > pos) i--;
    if (i === this.positions.length) {
      this.positions.push(pos);
      this.users.push(userId);
    } else {
      this.positions.splice(i, 0, pos);
      this.users.splice(i, 0, userId);
    }
  }

  between(since: number, to: number): string[] {
    const p = this.positions;
    const out: string[] = [];
    for (let i = firstAbove(p, since); i < p.length && p[i] <= to; i++) out.push(this.users[i]);
    return out;
  }
}
