export { RoomEvents, type RoomEventListener, type SendOptions } from './service.js';
export { Memberships, type ProfileLookup } from './membership.js';
export { RoomCreator, type CreateRoomRequest, type Preset } from './createRoom.js';
export { MembershipIndex } from './membershipIndex.js';
export { Typing } from './typing.js';
export { toClientEvent, strippedState, type ServeContext } from './clientEvent.js';
export type { RoomStore, ReceiptStore, StoredEvent, MembershipRow, ReceiptRow, RoomRow } from './store.js';
