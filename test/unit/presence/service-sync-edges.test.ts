/**
 * PresenceService and /sync edges: a sync with set_presence=offline is not a connection,
 * so the service neither steps nor stores anything for it; other syncs are counted.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ManualClock } from '../../../src/common/clock.js';
import { defaultConfig } from '../../../src/config/defaults.js';
import { PresenceService } from '../../../src/presence/service.js';
import { MembershipIndex } from '../../../src/rooms/membershipIndex.js';
import { MemoryPresenceStore, RecordingWaker } from './memory.js';

const A = '@alice:x';
const V = '@viewer:x';

function world() {
  const clock = new ManualClock();
  const index = new MembershipIndex();
  const waker = new RecordingWaker();
  const store = new MemoryPresenceStore();
  const service = new PresenceService(defaultConfig().presence, store, clock, index, waker);
  index.apply('!r:x', A, 'join');
  index.apply('!r:x', V, 'join');
  return { clock, waker, store, service };
}

test('a user who only syncs with set_presence=offline gets no presence state', async () => {
  const { service, store } = world();
  await service.load();
  service.apply(V, { kind: 'syncStarted', deviceId: 'D', setPresence: 'offline' });
  service.apply(V, { kind: 'syncEnded', deviceId: 'D', setPresence: 'offline' });
  assert.equal(service.stateOf(V), undefined);
  assert.equal(service.position(), 0);
  assert.equal(store.rows.size, 0);
});

test('an offline sync leaves an existing state as it was, the same object', async () => {
  const { service, clock } = world();
  await service.load();
  service.apply(A, { kind: 'setPresence', deviceId: 'D', presence: 'online', statusMsg: 'here' });
  const before = service.stateOf(A);
  const pos = service.position();
  clock.advance(1000);
  service.apply(A, { kind: 'syncStarted', deviceId: 'D', setPresence: 'offline' });
  service.apply(A, { kind: 'syncEnded', deviceId: 'D', setPresence: 'offline' });
  assert.equal(service.stateOf(A), before);
  assert.equal(service.position(), pos);
});

test('a sync with set_presence=online is counted: the device is connected while it runs', async () => {
  const { service, waker } = world();
  await service.load();
  service.apply(V, { kind: 'syncStarted', deviceId: 'D', setPresence: 'online' });
  assert.equal(service.stateOf(V)?.devices.get('D')?.activeSyncs, 1);
  assert.equal(service.stateOf(V)?.published.others.presence, 'online');
  assert.ok(waker.woken.has(A));
  service.apply(V, { kind: 'syncEnded', deviceId: 'D', setPresence: 'online' });
  assert.equal(service.stateOf(V)?.devices.get('D')?.activeSyncs, 0);
});
