/**
 * The to-device stream acknowledges delivered messages by deleting them, but an idle
 * long-poll (nothing delivered, nothing new) must not write: each write is a transaction
 * and an fsync, and fan-out makes every observer's sync an idle one.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ToDeviceStream } from '../../../src/sync/index.js';
import type { ToDeviceMessage, ToDeviceStore } from '../../../src/sync/store.js';
import type { SyncContext, SyncResponse } from '../../../src/sync/streams/types.js';
import { zeroPositions, type StreamPositions } from '../../../src/sync/token.js';

class CountingStore implements ToDeviceStore {
  queue: (ToDeviceMessage & { userId: string; deviceId: string })[] = [];
  deletes = 0;
  reads = 0;
  private pos = 0;

  async addToDevice(sender: string, type: string, targets: { userId: string; deviceId: string; content: Record<string, unknown> }[]) {
    for (const t of targets) this.queue.push({ streamPos: ++this.pos, sender, type, content: t.content, userId: t.userId, deviceId: t.deviceId });
    return this.pos;
  }

  async toDeviceBetween(userId: string, deviceId: string, from: number, to: number, limit: number) {
    this.reads++;
    return this.queue.filter((m) => m.userId === userId && m.deviceId === deviceId && m.streamPos > from && m.streamPos <= to).slice(0, limit);
  }

  async deleteToDeviceUpTo(userId: string, deviceId: string, pos: number) {
    this.deletes++;
    this.queue = this.queue.filter((m) => !(m.userId === userId && m.deviceId === deviceId && m.streamPos <= pos));
  }
}

function ctx(since: StreamPositions | null, to: StreamPositions): SyncContext {
  const response = { to_device: { events: [] } } as unknown as SyncResponse;
  return {
    userId: '@a:x', deviceId: 'D', filter: {}, since, to, fullState: false, now: 0,
    joinedRooms: [], newlyJoined: new Set(), response, joined: () => { throw new Error('unused'); },
  };
}

const at = (toDevice: number): StreamPositions => ({ ...zeroPositions(), toDevice });

describe('to-device stream', () => {
  test('idle long-polls neither delete nor read once the queue is known to be empty', async () => {
    const store = new CountingStore();
    const stream = new ToDeviceStream(store);
    await store.addToDevice('@b:x', 'm.test', [{ userId: '@a:x', deviceId: 'D', content: { n: 1 } }]);
    stream.setPosition(1);

    const first = ctx(null, at(1));
    await stream.fill(first);
    assert.equal(first.response.to_device.events.length, 1);

    // The next sync acknowledges position 1: one delete.
    await stream.fill(ctx(at(1), at(1)));
    assert.equal(store.deletes, 1);
    assert.equal(store.queue.length, 0);

    const readsBefore = store.reads;
    for (let i = 0; i < 5; i++) await stream.fill(ctx(at(1), at(1)));
    assert.equal(store.deletes, 1, 'repeated idle syncs do not delete again');
    assert.equal(store.reads, readsBefore, 'nor read: nothing can be there');
  });

  test("other devices' messages move the position; the empty queue is remembered past them", async () => {
    const store = new CountingStore();
    const stream = new ToDeviceStream(store);
    await stream.fill(ctx(at(0), at(0)));
    await store.addToDevice('@b:x', 'm.test', [{ userId: '@c:x', deviceId: 'E', content: {} }]);
    stream.setPosition(1);
    const c = ctx(at(0), at(1));
    await stream.fill(c);
    assert.equal(c.response.to_device.events.length, 0);
    await stream.fill(ctx(at(1), at(1)));
    assert.equal(store.deletes, 0, 'nothing was ever delivered to this device');
  });

  test('a message that arrives later is still delivered and then acknowledged', async () => {
    const store = new CountingStore();
    const stream = new ToDeviceStream(store);
    await stream.fill(ctx(at(0), at(0)));
    await store.addToDevice('@b:x', 'm.test', [{ userId: '@a:x', deviceId: 'D', content: { n: 2 } }]);
    stream.setPosition(1);
    const c = ctx(at(0), at(1));
    await stream.fill(c);
    assert.deepEqual(c.response.to_device.events, [{ sender: '@b:x', type: 'm.test', content: { n: 2 } }]);
    await stream.fill(ctx(at(1), at(1)));
    assert.equal(store.deletes, 1);
    assert.equal(store.queue.length, 0);
  });

  test('after a restart (no memory) a sync past a position deletes what it acknowledges', async () => {
    const store = new CountingStore();
    await store.addToDevice('@b:x', 'm.test', [{ userId: '@a:x', deviceId: 'D', content: {} }]);
    const stream = new ToDeviceStream(store);
    stream.setPosition(1);
    await stream.fill(ctx(at(1), at(1)));
    assert.equal(store.deletes, 1);
    assert.equal(store.queue.length, 0);
  });
});
