import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DEFAULT_IDLE_MS, IdleTracker, resolveIdleTimeout } from '../../../web/src/idle.js';
import type { PresenceInfo } from '../../../web/src/model.js';
import { activityText, formatAgo, ownLabel, presenceLabel, presenceRank } from '../../../web/src/presence.js';

const info = (p: Partial<PresenceInfo>): PresenceInfo => ({ presence: 'online', statusMsg: null, lastActiveTs: null, currentlyActive: false, appearOffline: false, ...p });

describe('presence text', () => {
  test('every state has a text label (colour is never the only cue)', () => {
    assert.equal(presenceLabel('online'), 'Online');
    assert.equal(presenceLabel('unavailable'), 'Idle');
    assert.equal(presenceLabel('offline'), 'Offline');
    assert.equal(presenceLabel('free_for_chat'), 'Free for chat');
    assert.equal(presenceLabel('weird'), 'Unknown');
  });

  test('"active now" needs currently_active with online; otherwise the age ticks from last_active', () => {
    assert.equal(activityText(info({ currentlyActive: true, lastActiveTs: 0 }), 999_999), 'active now');
    assert.equal(activityText(info({ presence: 'unavailable', currentlyActive: true, lastActiveTs: 0 }), 240_000), 'active 4 min ago');
    assert.equal(activityText(info({ lastActiveTs: 1000 }), 1000 + 4 * 60_000 + 5000), 'active 4 min ago');
    assert.equal(activityText(info({ lastActiveTs: 1000 }), 1000 + 5 * 60_000), 'active 5 min ago');
    assert.equal(activityText(info({ presence: 'offline' }), 10), '');
    assert.equal(activityText(undefined, 10), '');
  });

  test('formatAgo is coarse', () => {
    assert.equal(formatAgo(-5), 'less than a minute ago');
    assert.equal(formatAgo(59_999), 'less than a minute ago');
    assert.equal(formatAgo(60_000), '1 min ago');
    assert.equal(formatAgo(3 * 3600_000), '3 h ago');
    assert.equal(formatAgo(26 * 3600_000), 'yesterday');
    assert.equal(formatAgo(3 * 86400_000), '3 days ago');
  });

  test('own label shows the real state plus appear-offline', () => {
    assert.equal(ownLabel(info({ presence: 'unavailable', appearOffline: true })), 'Idle · appearing offline');
    assert.equal(ownLabel(info({})), 'Online');
    assert.equal(ownLabel(undefined), 'Offline');
  });

  test('contacts sort most available first', () => {
    assert.ok(presenceRank('online') < presenceRank('unavailable'));
    assert.ok(presenceRank('unavailable') < presenceRank(undefined));
  });
});

describe('idle timeout setting', () => {
  test('default 3 minutes', () => {
    assert.deepEqual(resolveIdleTimeout('', null), { ms: DEFAULT_IDLE_MS, source: 'default' });
    assert.equal(DEFAULT_IDLE_MS, 180_000);
  });

  test('stored minutes are clamped to 1..5', () => {
    assert.deepEqual(resolveIdleTimeout('', '2'), { ms: 120_000, source: 'setting' });
    assert.equal(resolveIdleTimeout('', '0').ms, 60_000);
    assert.equal(resolveIdleTimeout('', '60').ms, 300_000);
    assert.equal(resolveIdleTimeout('', 'junk').source, 'default');
  });

  test('?idle=<ms> overrides (for tests), with a 500 ms floor, and ignores junk', () => {
    assert.deepEqual(resolveIdleTimeout('?idle=2000', '4'), { ms: 2000, source: 'url' });
    assert.equal(resolveIdleTimeout('?idle=1', null).ms, 500);
    assert.equal(resolveIdleTimeout('?idle=-5', '2').source, 'setting');
  });
});

class FakeTimers {
  t = 0;
  private seq = 0;
  timers = new Map<number, { at: number; fn: () => void }>();
  now = () => this.t;
  set = (fn: () => void, ms: number) => {
    const id = ++this.seq;
    this.timers.set(id, { at: this.t + ms, fn });
    return id;
  };
  clear = (id: unknown) => void this.timers.delete(id as number);
  advance(ms: number): void {
    const end = this.t + ms;
    for (;;) {
      const due = [...this.timers.entries()].filter(([, v]) => v.at <= end).sort((a, b) => a[1].at - b[1].at)[0];
      if (!due) break;
      this.timers.delete(due[0]);
      this.t = due[1].at;
      due[1].fn();
    }
    this.t = end;
  }
}

function tracker(timeoutMs = 1000) {
  const clock = new FakeTimers();
  const changes: boolean[] = [];
  const t = new IdleTracker({ timeoutMs, now: clock.now, setTimer: clock.set, clearTimer: clock.clear, onChange: (i) => changes.push(i) });
  return { t, clock, changes };
}

describe('IdleTracker (seed 001)', () => {
  test('no activity for the timeout makes the device idle, once', () => {
    const { t, clock, changes } = tracker();
    t.start();
    clock.advance(999);
    assert.deepEqual(changes, []);
    clock.advance(1);
    assert.deepEqual(changes, [true]);
    clock.advance(10_000);
    assert.deepEqual(changes, [true]);
  });

  test('activity pushes the deadline back without re-arming a timer per event', () => {
    const { t, clock, changes } = tracker();
    t.start();
    for (let i = 0; i < 10; i++) {
      clock.advance(500);
      t.activity();
    }
    assert.equal(clock.timers.size, 1);
    assert.deepEqual(changes, []);
    clock.advance(1000);
    assert.deepEqual(changes, [true]);
  });

  test('activity after idle makes the device active again, then idle again later', () => {
    const { t, clock, changes } = tracker();
    t.start();
    clock.advance(1000);
    t.activity();
    t.activity();
    assert.deepEqual(changes, [true, false]);
    clock.advance(1000);
    assert.deepEqual(changes, [true, false, true]);
  });

  test('a hidden tab is idle at once and ignores input; showing it again is activity', () => {
    const { t, clock, changes } = tracker(60_000);
    t.start();
    t.setHidden(true);
    assert.deepEqual(changes, [true]);
    t.activity();
    assert.deepEqual(changes, [true]);
    t.setHidden(false);
    assert.deepEqual(changes, [true, false]);
    clock.advance(60_000);
    assert.deepEqual(changes, [true, false, true]);
  });

  test('starting hidden starts idle', () => {
    const { t, changes } = tracker();
    t.start(true);
    assert.equal(t.idle, true);
    assert.deepEqual(changes, [true]);
  });

  test('a shorter timeout applies to the current quiet period', () => {
    const { t, clock, changes } = tracker(10_000);
    t.start();
    clock.advance(3000);
    t.setTimeoutMs(2000);
    assert.deepEqual(changes, [true]);
  });

  test('stop cancels the timer', () => {
    const { t, clock, changes } = tracker();
    t.start();
    t.stop();
    clock.advance(5000);
    t.activity();
    assert.deepEqual(changes, []);
  });
});
