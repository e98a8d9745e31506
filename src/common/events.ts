/** Event shapes shared by rooms, sync and federation. Room version 10 federation format. */

export type JsonObject = { [key: string]: unknown };

/** A persistent data unit as stored and as sent over federation (room version 10). */
export interface Pdu {
  event_id?: string; // not part of the v10 wire format; carried locally for convenience
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  depth: number;
  prev_events: string[];
  auth_events: string[];
  hashes: { sha256: string };
  signatures: Record<string, Record<string, string>>;
  unsigned?: JsonObject;
  redacts?: string;
}

/** The fields a caller supplies to build a new event; hashes, signatures and ids are added. */
export interface EventProto {
  room_id: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  depth: number;
  prev_events: string[];
  auth_events: string[];
  redacts?: string;
}

/** Client-format event as served by the Client-Server API. */
export interface ClientEvent {
  event_id: string;
  room_id?: string;
  sender: string;
  type: string;
  state_key?: string;
  content: JsonObject;
  origin_server_ts: number;
  unsigned?: JsonObject;
  redacts?: string;
}

/** Key of the room state map: `${type}\u0000${state_key}`. */
export const stateKey = (type: string, key: string) => `${type}\u0000${key}`;

export type StateMap = Map<string, Pdu>;
