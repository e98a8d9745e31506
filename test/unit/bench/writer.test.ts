import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { PerKeyQueue, runWriter, type WriterClock } from '../../../bench/lib/writer.js';

/** A clock whose timers fire only when the test says so. */
class ManualClock implements WriterClock {
  t = 0;
  private timers: { at: number; fire: () => void }[] = [];
  now = (): number => this.t;
  sleep = (ms: number): Promise<void> => new Promise((fire) => this.timers.push({ at: this.t + ms, fire }));

  /** Moves time on and fires what is due. */
  async advance(ms: number): Promise<void> {
    this.t += ms;
    const due = this.timers.filter((x) => x.at <= this.t);
    this.timers = this.timers.filter((x) => x.at > this.t);
    for (const x of due) x.fire();
    await settle();
  }

  /** Fires every timer without moving time: a timer that runs early against now(). */
  async fireAllEarly(): Promise<void> {
    const all = this.timers;
    this.timers = [];
    for (const x of all) x.fire();
    await settle();
  }
}

const settle = () => new Promise<void>((r) => setImmediate(r));

/** PUTs the test answers by hand, recording how many were in flight at once. */
class ManualPuts {
  answers: (() => void)[] = [];
  started = 0;
  inFlight = 0;
  maxInFlight = 0;

  constructor(private readonly clock: ManualClock) {}

  put = (): Promise<void> => {
    this.started++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    // Each PUT takes a little time, so a loop that kept starting them would reach the end.
    this.clock.t += 1;
    return new Promise<void>((r) =>
      this.answers.push(() => {
        this.inFlight--;
        r();
      }),
    );
  };

  async answerNext(): Promise<void> {
    this.answers.shift()!();
    await settle();
  }
}

describe('runWriter', () => {
  test('back to back: the next PUT starts when the previous is answered, and none after the deadline fires', async () => {
    const clock = new ManualClock();
    const puts = new ManualPuts(clock);
    const done = runWriter({ rate: 0, durationMs: 1000, count: 1e9 }, puts.put, clock);
    await settle();
    assert.equal(puts.started, 1);
    await puts.answerNext();
    await puts.answerNext();
    assert.equal(puts.started, 3);
    // The deadline's timer fires while now() is still short of the end and PUT 3 is unanswered.
    await clock.fireAllEarly();
    assert.equal(await done, 3);
    assert.equal(puts.started, 3, 'no PUT starts once the deadline has fired');
    assert.equal(puts.maxInFlight, 1);
  });

  test('paced: a PUT due while the previous is unanswered waits for it', async () => {
    const clock = new ManualClock();
    const puts = new ManualPuts(clock);
    const done = runWriter({ rate: 100, durationMs: 1000, count: 1e9 }, puts.put, clock);
    await settle();
    assert.equal(puts.started, 1);
    await clock.advance(40);
    assert.equal(puts.started, 1, 'four intervals passed, but the first PUT is unanswered');
    await puts.answerNext();
    assert.equal(puts.started, 2, 'the next starts on the answer, behind the rate');
    await puts.answerNext();
    assert.equal(puts.started, 3);
    // The end passes with PUT 3 unanswered: the writer stops and leaves it to the drain.
    await clock.advance(2000);
    assert.equal(await done, 3);
    assert.equal(puts.started, 3);
    assert.equal(puts.maxInFlight, 1);
  });

  test('count bounds the PUTs started', async () => {
    const clock = new ManualClock();
    const sent = await runWriter({ rate: 0, durationMs: 1000, count: 5 }, async () => undefined, clock);
    assert.equal(sent, 5);
  });
});

describe('PerKeyQueue', () => {
  test("one key's tasks run one at a time in order; other keys do not wait", async () => {
    const q = new PerKeyQueue<number>();
    const log: string[] = [];
    const gates: Record<string, () => void> = {};
    const task = (name: string) => () =>
      new Promise<void>((r) => {
        log.push(`start ${name}`);
        gates[name] = () => {
          log.push(`end ${name}`);
          r();
        };
      });
    const a1 = q.run(1, task('a1'));
    const a2 = q.run(1, task('a2'));
    void q.run(2, task('b1'));
    await settle();
    assert.deepEqual(log, ['start a1', 'start b1'], 'a2 waits for a1; b1 does not');
    assert.equal(q.busy, 2);
    gates.a1();
    await a1;
    await settle();
    assert.deepEqual(log, ['start a1', 'start b1', 'end a1', 'start a2']);
    gates.a2();
    gates.b1();
    await a2;
    await settle();
    assert.equal(q.busy, 0, 'finished keys are forgotten');
  });

  test('a failed task does not stop the next one of its key', async () => {
    const q = new PerKeyQueue<string>();
    const first = q.run('u', () => Promise.reject(new Error('boom')));
    let ran = false;
    const second = q.run('u', async () => {
      ran = true;
    });
    await assert.rejects(first);
    await second;
    assert.equal(ran, true);
  });
});
