import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { ProcSampler, cpuMsFromStat, memFromStatus, readProc } from '../../../bench/lib/proc.js';

describe('/proc parsing', () => {
  test('utime + stime (fields 14 and 15) in ms at 100 ticks per second', () => {
    const stat = '4242 (node) S 1 4242 4242 0 -1 4194560 5000 0 0 0 250 75 0 0 20 0 11 0 12345 1000000 20000 18446744073709551615';
    assert.equal(cpuMsFromStat(stat), 3250);
  });

  test('a command name with spaces and parentheses does not shift the fields', () => {
    const stat = '77 (my (weird) name) R 1 77 77 0 -1 0 0 0 0 0 10 20 0 0 20 0 1 0 1 1 1';
    assert.equal(cpuMsFromStat(stat), 300);
  });

  test('garbage is an error, not NaN', () => {
    assert.throws(() => cpuMsFromStat('1 (x) S'), /unreadable/);
  });

  test('VmRSS and VmHWM in MB', () => {
    const status = 'Name:\tnode\nVmPeak:\t 900000 kB\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';
    assert.deepEqual(memFromStatus(status), { rssMB: 100, hwmMB: 200 });
  });

  test('reads this very process', { skip: process.platform !== 'linux' }, () => {
    const s = readProc(process.pid);
    assert.ok(s.cpuMs >= 0);
    assert.ok(s.rssMB > 1 && s.hwmMB >= s.rssMB);
  });

  test('a server that dies mid-run still gets figures, marked as exited', { skip: process.platform !== 'linux' }, async () => {
    const child = spawn(process.execPath, ['-e', 'console.log("up"); setInterval(() => {}, 1000)'], { stdio: ['ignore', 'pipe', 'ignore'] });
    // Running node, not the fork before exec: its memory is a real process's.
    await once(child.stdout!, 'data');
    const sampler = new ProcSampler(child.pid!);
    sampler.start();
    const exited = once(child, 'exit');
    child.kill('SIGKILL');
    await exited;
    // Reaped: /proc/<pid> is gone, as for a server killed by the OOM killer.
    const cost = sampler.stop();
    assert.equal(cost.exited, true);
    assert.ok(cost.cpuMs >= 0 && cost.peakRssMB > 1, JSON.stringify(cost));
  });

  test('a live process is not marked as exited', { skip: process.platform !== 'linux' }, () => {
    const sampler = new ProcSampler(process.pid);
    sampler.start();
    assert.equal(sampler.stop().exited, false);
  });
});
