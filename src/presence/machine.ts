/**
 * The pure presence state machine: (state, input, now) -> (state, effects). It reads time
 * only from `now`; timers and I/O live around it (DESIGN §2 Rules).
 */
import { onActivity, onDeviceRemoved, onSetAppearOffline, onSetDeviceState, onSetPresence, onSyncEnded, onSyncStarted } from './rules.js';
import { nextWakeAt, settle } from './timeouts.js';
import type { DevicePresence, PresenceEffects, PresenceInput, PresenceMachineConfig, UserPresence } from './types.js';
import { sigEqual, sigOf, viewFor } from './view.js';

function apply(state: UserPresence, input: PresenceInput, now: number, cfg: PresenceMachineConfig): UserPresence {
  switch (input.kind) {
    case 'syncStarted':
      return onSyncStarted(state, input.deviceId, input.setPresence, now, cfg);
    case 'syncEnded':
      return onSyncEnded(state, input.deviceId, input.setPresence, now);
    case 'activity':
      return onActivity(state, input.deviceId, now);
    case 'setPresence':
      return onSetPresence(state, input.deviceId, input.presence, input.statusMsg, now);
    case 'setDeviceState':
      return onSetDeviceState(state, input.deviceId, input.state, now);
    case 'setAppearOffline':
      return onSetAppearOffline(state, input.enabled);
    case 'deviceRemoved':
      return onDeviceRemoved(state, input.deviceId);
    case 'tick':
      // Time-driven rules run in step() for every input; a tick is only that.
      return state;
  }
}

export interface StepResult {
  readonly state: UserPresence;
  readonly effects: PresenceEffects;
}

export function step(state: UserPresence, input: PresenceInput, now: number, cfg: PresenceMachineConfig): StepResult {
  const next = settle(apply(settle(state, now, cfg), input, now, cfg), now, cfg);
  // Comparing with what was last published, not with the state before this input, is what
  // makes a timer-driven change (currently_active expiring) visible, and what suppresses
  // last_active moving while currently_active stays true (seed 002).
  const others = sigOf(viewFor(next, now, cfg, { self: false }));
  const self = sigOf(viewFor(next, now, cfg, { self: true }));
  const changed = !sigEqual(others, next.published.others);
  const selfChanged = changed || !sigEqual(self, next.published.self);
  const published = selfChanged ? { ...next, published: { others, self } } : next;
  return {
    state: published,
    effects: {
      changed,
      selfChanged,
      persist: !durableEqual(state, published),
      nextWakeAt: nextWakeAt(published, cfg),
    },
  };
}

function deviceDurableEqual(a: DevicePresence, b: DevicePresence): boolean {
  return a.state === b.state && a.lastActiveTs === b.lastActiveTs && a.syncPresence === b.syncPresence;
}

/**
 * Equal apart from /sync bookkeeping (activeSyncs, lastSyncTs): those move on every
 * long-poll, so they are not worth a write; afterRestart() rebuilds them.
 */
export function durableEqual(a: UserPresence, b: UserPresence): boolean {
  if (
    a.statusMsg !== b.statusMsg ||
    a.appearOffline !== b.appearOffline ||
    a.lastActiveTs !== b.lastActiveTs ||
    !sigEqual(a.published.others, b.published.others) ||
    !sigEqual(a.published.self, b.published.self) ||
    a.devices.size !== b.devices.size
  ) {
    return false;
  }
  for (const [id, d] of a.devices) {
    const other = b.devices.get(id);
    if (!other || !deviceDurableEqual(d, other)) return false;
  }
  return true;
}
