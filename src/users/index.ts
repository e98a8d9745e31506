export { UsersService, type Session, type Profile, type UserListeners, type LoginResult } from './service.js';
export type { UserStore, DeviceStore, FilterStore, AccountDataStore, PushRuleStore, UserRow, DeviceRow } from './store.js';
export { UiaSessions, UiaRequired, MemoryUiaStore, type Flow, type UiaStore } from './uia.js';
export { hashPassword, verifyPassword } from './passwords.js';
export * as pushRules from './pushRules.js';
