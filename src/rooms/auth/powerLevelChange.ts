import type { JsonObject, StateMap } from '../../common/events.js';
import {
  isPowerLevel,
  LEVEL_KEYS,
  powerLevelsShapeError,
  userPowerLevel,
} from './powerLevels.js';
import { getState, isObject } from './state.js';
import { ALLOW, deny, EV, type AuthEventInput, type AuthResult } from './types.js';

/** Integer entries of a map-valued property; a v10 event that passed rule 9 has no others. */
function levels(content: JsonObject, key: string): Map<string, number> {
  const v = content[key];
  const out = new Map<string, number>();
  if (isObject(v)) for (const [k, n] of Object.entries(v)) if (isPowerLevel(n)) out.set(k, n);
  return out;
}

function scalar(content: JsonObject, key: string): number | undefined {
  const v = content[key];
  return isPowerLevel(v) ? v : undefined;
}

/** Every key whose value differs between two maps: added, changed or removed. */
function changes(before: Map<string, number>, after: Map<string, number>) {
  const out: Array<{ key: string; old?: number; new?: number }> = [];
  for (const key of new Set([...before.keys(), ...after.keys()])) {
    if (before.get(key) !== after.get(key)) out.push({ key, old: before.get(key), new: after.get(key) });
  }
  return out;
}

/**
 * Rule 9: a power levels event must be well formed (integers only in v10) and may not touch
 * anything at or above the sender's own level, nor lift anything above it.
 */
export function authorizePowerLevels(event: AuthEventInput, authState: StateMap): AuthResult {
  const shapeError = powerLevelsShapeError(event.content);
  if (shapeError) return deny(shapeError);
  const previous = getState(authState, EV.powerLevels);
  if (!previous) return ALLOW;

  const mine = userPowerLevel(event.sender, authState);
  const before = previous.content;
  const after = event.content;

  for (const key of LEVEL_KEYS) {
    const o = scalar(before, key);
    const n = scalar(after, key);
    if (o === n) continue;
    if (o !== undefined && o > mine) {
      return deny(`You cannot change '${key}' from ${o}: that is above your power level (${mine})`);
    }
    if (n !== undefined && n > mine) {
      return deny(`You cannot set '${key}' to ${n}: that is above your power level (${mine})`);
    }
  }

  for (const prop of ['events', 'notifications']) {
    for (const c of changes(levels(before, prop), levels(after, prop))) {
      const label = prop === 'events' ? `the level of ${c.key}` : `the ${c.key} notification level`;
      if (c.old !== undefined && c.old > mine) {
        return deny(`You cannot change ${label} from ${c.old}: that is above your power level (${mine})`);
      }
      if (c.new !== undefined && c.new > mine) {
        return deny(`You cannot set ${label} to ${c.new}: that is above your power level (${mine})`);
      }
    }
  }

  for (const c of changes(levels(before, 'users'), levels(after, 'users'))) {
    // Lowering (or dropping) one's own level is always allowed; raising it is not (below).
    if (c.key !== event.sender && c.old !== undefined && c.old >= mine) {
      return deny(`You cannot change the power level of ${c.key}: it is not below yours (${mine})`);
    }
    if (c.new !== undefined && c.new > mine) {
      return deny(`You cannot give ${c.key} a power level of ${c.new}, above your own (${mine})`);
    }
  }
  return ALLOW;
}
