/** Scenario helpers for the presence machine tests: times are offsets from T0. */
import { step } from '../../../src/presence/machine.js';
import { DEFAULT_PRESENCE_TIMERS, emptyPresence } from '../../../src/presence/types.js';
import type { PresenceEffects, PresenceInput, PresenceMachineConfig, UserPresence } from '../../../src/presence/types.js';
import { viewFor } from '../../../src/presence/view.js';

export const T0 = 1_700_000_000_000;
export const CFG: PresenceMachineConfig = { ...DEFAULT_PRESENCE_TIMERS };
export const SEC = 1000;
export const MIN = 60 * SEC;

/** One input at offset `at` (ms after T0). */
export type Event = readonly [at: number, input: PresenceInput];

export interface Played {
  state: UserPresence;
  effects: PresenceEffects[];
  /** The effects of the last step. */
  last: PresenceEffects;
}

export function play(events: readonly Event[], cfg: PresenceMachineConfig = CFG, from: UserPresence = emptyPresence()): Played {
  let state = from;
  const effects: PresenceEffects[] = [];
  for (const [at, input] of events) {
    const r = step(state, input, T0 + at, cfg);
    state = r.state;
    effects.push(r.effects);
  }
  const last = effects[effects.length - 1];
  if (!last) throw new Error('play() needs at least one event');
  return { state, effects, last };
}

/** What others see at offset `at`. */
export function others(state: UserPresence, at: number, cfg: PresenceMachineConfig = CFG) {
  return viewFor(state, T0 + at, cfg, { self: false });
}

/** What the user's own devices see at offset `at`. */
export function self(state: UserPresence, at: number, cfg: PresenceMachineConfig = CFG) {
  return viewFor(state, T0 + at, cfg, { self: true });
}

// Input shorthands.
export const syncStart = (deviceId = 'A', setPresence: 'online' | 'unavailable' | 'offline' = 'online'): PresenceInput =>
  ({ kind: 'syncStarted', deviceId, setPresence });
export const syncEnd = (deviceId = 'A', setPresence: 'online' | 'unavailable' | 'offline' = 'online'): PresenceInput =>
  ({ kind: 'syncEnded', deviceId, setPresence });
export const activity = (deviceId = 'A'): PresenceInput => ({ kind: 'activity', deviceId });
export const put = (
  presence: 'online' | 'unavailable' | 'offline' | 'free_for_chat' | 'hidden',
  statusMsg?: string | null,
  deviceId = 'A',
): PresenceInput => ({ kind: 'setPresence', deviceId, presence, statusMsg });
export const deviceState = (state: 'online' | 'idle' | 'offline', deviceId = 'A'): PresenceInput =>
  ({ kind: 'setDeviceState', deviceId, state });
export const appearOffline = (enabled: boolean): PresenceInput => ({ kind: 'setAppearOffline', enabled });
export const removed = (deviceId = 'A'): PresenceInput => ({ kind: 'deviceRemoved', deviceId });
export const tick: PresenceInput = { kind: 'tick' };

/** A device long-polling with online: started at `at`, still in flight. */
export const connected = (at: number, deviceId = 'A'): Event => [at, syncStart(deviceId)];
