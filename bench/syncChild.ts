/**
 * Child process entry: runs one SyncerGroup for the main bench process, reporting first
 * deliveries in batches over IPC. Separate processes keep the observers' work off the
 * writer's event loop and their sockets within one process's file limit.
 */
import { SyncerGroup } from './lib/syncers.js';
import type { ChildMsg, ParentMsg } from './lib/protocol.js';

const FLUSH_MS = 100;

let group: SyncerGroup | undefined;
let flusher: NodeJS.Timeout | undefined;

function send(msg: ChildMsg): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(msg, undefined, {}, () => resolve());
  });
}

async function onMessage(msg: ParentMsg): Promise<void> {
  switch (msg.type) {
    case 'init': {
      const { users, type: _t, ...cfg } = msg;
      group = new SyncerGroup(users, cfg);
      // Batches start with the initial syncs: their counters are the parent's progress report.
      flusher = setInterval(() => {
        if (group) void send({ type: 'batch', ...group.takeBatch() });
      }, FLUSH_MS);
      const r = await group.initialSync();
      group.startLoops();
      await send({ type: 'ready', ...r });
      return;
    }
    case 'measure':
      group?.measure();
      return;
    case 'refused':
      for (let i = 0; i < msg.senders.length; i++) group?.refuse(msg.senders[i], msg.ks[i]);
      return;
    case 'stop': {
      clearInterval(flusher);
      if (!group) {
        process.exit(0);
      }
      // Last batch and counters are taken before the loops are torn down.
      const last = group.takeBatch();
      await send({ type: 'batch', ...last });
      await group.stop();
      await send({ type: 'done', stats: last.stats });
      process.exit(0);
    }
  }
}

process.on('message', (m: ParentMsg) => {
  onMessage(m).catch((e: unknown) => {
    process.stderr.write(`bench child: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  });
});
// The parent going away ends the child: no orphaned long-polls.
process.on('disconnect', () => process.exit(0));
