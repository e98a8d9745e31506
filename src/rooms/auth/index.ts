/** Room version 10 authorization rules, as pure functions over a state map. */
export { authorizeEvent, canRedact, shouldApplyRedaction } from './authorize.js';
export { authEventTypes, checkAuthEvents, selectAuthState } from './selection.js';
export {
  defaultPowerLevelContent,
  powerLevelsContent,
  requiredEventLevel,
  userPowerLevel,
  type CreateRoomPreset,
  type PowerLevelsContent,
} from './powerLevels.js';
export { creatorOf, joinRuleOf, membershipOf } from './state.js';
export {
  SUPPORTED_ROOM_VERSIONS,
  type AuthEventInput,
  type AuthResult,
  type Membership,
} from './types.js';
