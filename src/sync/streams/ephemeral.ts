import type { JsonObject } from '../../common/events.js';
import type { ReceiptStore, Typing } from '../../rooms/index.js';
import { matchesEventFilter } from '../filter.js';
import type { StreamProvider, SyncContext } from './types.js';

/** m.typing per joined room, from the in-memory typing state. */
export class TypingStream implements StreamProvider {
  readonly stream = 'typing' as const;

  constructor(private readonly typing: Typing) {}

  position(): number {
    return this.typing.position();
  }

  fill(ctx: SyncContext): void {
    const f = ctx.filter.room?.ephemeral;
    if (!matchesEventFilter(f, { type: 'm.typing', sender: ctx.userId })) return;
    for (const roomId of ctx.joinedRooms) {
      const complete = ctx.since === null || ctx.newlyJoined.has(roomId);
      if (!complete && !this.typing.changedSince(roomId, ctx.since!.typing)) continue;
      const users = this.typing.typingIn(roomId);
      if (complete && users.length === 0) continue;
      ctx.joined(roomId).ephemeral.events.push({ type: 'm.typing', content: { user_ids: users } });
    }
  }
}

/** m.receipt per joined room: the changes since the token, or all receipts for new rooms. */
export class ReceiptsStream implements StreamProvider {
  readonly stream = 'receipts' as const;
  private pos = 0;

  constructor(private readonly receipts: ReceiptStore) {}

  setPosition(pos: number): void {
    if (pos > this.pos) this.pos = pos;
  }

  position(): number {
    return this.pos;
  }

  fill(ctx: SyncContext): Promise<void> | void {
    if (!matchesEventFilter(ctx.filter.room?.ephemeral, { type: 'm.receipt', sender: ctx.userId })) return;
    const unchanged = ctx.since !== null && ctx.since.receipts >= ctx.to.receipts;
    if (unchanged && ctx.newlyJoined.size === 0) return;
    return this.fillRows(ctx, unchanged);
  }

  private async fillRows(ctx: SyncContext, unchanged: boolean): Promise<void> {
    const incremental = ctx.since && !unchanged ? ctx.joinedRooms.filter((r) => !ctx.newlyJoined.has(r)) : [];
    const complete = ctx.since ? [...ctx.newlyJoined] : ctx.joinedRooms;
    const rows = [
      ...(incremental.length ? await this.receipts.receiptsBetween(incremental, ctx.since?.receipts ?? 0, ctx.to.receipts) : []),
      ...(complete.length ? await this.receipts.receiptsBetween(complete, -1, ctx.to.receipts) : []),
    ];
    const byRoom = new Map<string, JsonObject>();
    for (const r of rows) {
      // Private receipts are shown only to their owner.
      if (r.receiptType === 'm.read.private' && r.userId !== ctx.userId) continue;
      let content = byRoom.get(r.roomId);
      if (!content) byRoom.set(r.roomId, (content = {}));
      const forEvent = (content[r.eventId] ??= {}) as JsonObject;
      const forType = (forEvent[r.receiptType] ??= {}) as JsonObject;
      const receipt: JsonObject = { ts: r.ts };
      if (r.threadId) receipt.thread_id = r.threadId;
      forType[r.userId] = receipt;
    }
    for (const [roomId, content] of byRoom) ctx.joined(roomId).ephemeral.events.push({ type: 'm.receipt', content });
  }
}
