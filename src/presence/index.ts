export { PresenceService, type RoomGraph, type Waker, type PresenceServiceOptions } from './service.js';
export { ChangeLog, type LogEntry } from './changeLog.js';
export type { PresenceStore } from './store.js';
export { step, durableEqual } from './machine.js';
export { viewFor, getStatusBody, selfDetail } from './view.js';
export { toStored, fromStored, afterRestart } from './stored.js';
export * from './types.js';
