/**
 * The listener's accept queue is the configured `listen_backlog`, not Node's 511: a wave of
 * clients reconnecting to a busy server would otherwise have its SYNs dropped and retried
 * seconds later. Read back from the kernel with `ss` (iproute2), where a listening socket's
 * Send-Q is its backlog.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startTestServer } from '../helpers/server.js';

function backlogOf(port: number): number {
  const out = execFileSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).trim();
  const fields = out.split(/\s+/);
  assert.equal(fields[0], 'LISTEN', out);
  return Number(fields[2]);
}

async function listenedBacklog(config: Record<string, unknown>): Promise<number> {
  const ts = await startTestServer({ config });
  try {
    return backlogOf(Number(new URL(ts.url).port));
  } finally {
    await ts.close();
  }
}

test("the HTTP listener's kernel backlog is listen_backlog", async () => {
  assert.equal(await listenedBacklog({ listen_backlog: 37 }), 37);
});

test('by default it is 4096, or net.core.somaxconn where the kernel allows less', async () => {
  const somaxconn = Number(readFileSync('/proc/sys/net/core/somaxconn', 'utf8'));
  assert.equal(await listenedBacklog({}), Math.min(4096, somaxconn));
});
