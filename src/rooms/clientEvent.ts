import type { ClientEvent, JsonObject } from '../common/events.js';
import { redactEvent } from '../federation/index.js';
import type { StoredEvent } from './store.js';

export interface ServeContext {
  now: number;
  /** The requesting device, for unsigned.transaction_id. */
  deviceId?: string;
  userId?: string;
  /** Replaced state events, by event id, for unsigned.prev_content. */
  replaced?: Map<string, StoredEvent>;
  /** Redaction events, by event id, for unsigned.redacted_because. */
  redactions?: Map<string, StoredEvent>;
}

/** Turns a stored PDU into the Client-Server API's event format. */
export function toClientEvent(ev: StoredEvent, ctx: ServeContext): ClientEvent {
  const p = ev.pdu;
  const redacted = ev.redactedBy !== null;
  const content = redacted ? ((redactEvent(p, '10') as { content: JsonObject }).content ?? {}) : p.content;
  const unsigned: JsonObject = { age: Math.max(0, ctx.now - p.origin_server_ts) };
  if (ev.txn && ctx.userId === p.sender && ctx.deviceId === ev.txn.deviceId) unsigned.transaction_id = ev.txn.txnId;
  if (ev.replacesState) {
    unsigned.replaces_state = ev.replacesState;
    const prev = ctx.replaced?.get(ev.replacesState);
    if (prev) {
      unsigned.prev_content = prev.redactedBy ? (redactEvent(prev.pdu, '10') as { content: JsonObject }).content : prev.pdu.content;
      unsigned.prev_sender = prev.pdu.sender;
    }
  }
  const because = redacted ? ctx.redactions?.get(ev.redactedBy!) : undefined;
  if (because) unsigned.redacted_because = toClientEvent(because, { now: ctx.now });
  const out: ClientEvent = {
    event_id: p.event_id,
    room_id: p.room_id,
    sender: p.sender,
    type: p.type,
    content,
    origin_server_ts: p.origin_server_ts,
    unsigned,
  };
  if (p.state_key !== undefined) out.state_key = p.state_key;
  if (p.redacts !== undefined && !redacted) out.redacts = p.redacts;
  if (p.type === 'm.room.redaction' && typeof p.redacts === 'string' && content.redacts === undefined && !redacted) {
    // Clients written for newer room versions read redacts from content; give them both.
    out.content = { ...content, redacts: p.redacts };
  }
  return out;
}

/** Strips a client event to the form used in invite_state / knock_state. */
export function strippedState(ev: StoredEvent): JsonObject {
  const p = ev.pdu;
  return { type: p.type, state_key: p.state_key ?? '', sender: p.sender, content: p.content };
}
