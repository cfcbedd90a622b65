// The models behind the thread-pools lesson's pictures: libuv's pool running eight equal calls
// (waves of UV_THREADPOOL_SIZE, threads sharing cores), and the sizing rule.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { poolTimeline, ruleThreads, stateAt } from '../../site/components/lesson/thread-pools/model.ts';

describe('libuv pool timeline', () => {
  test('four threads on eight cores: two waves of four, each one call long', () => {
    const calls = poolTimeline(4, 8);
    assert.deepEqual(calls.map((c) => [c.start, c.end]), [...Array(4).fill([0, 1]), ...Array(4).fill([1, 2])]);
    assert.deepEqual(calls.map((c) => stateAt(c, 0.5)), [...Array(4).fill('running'), ...Array(4).fill('waiting')]);
  });
  test('eight threads: one wave; on two cores it takes four times as long', () => {
    assert.ok(poolTimeline(8, 8).every((c) => c.start === 0 && c.end === 1));
    assert.ok(poolTimeline(8, 2).every((c) => c.start === 0 && Math.abs(c.end - 4) < 1e-9));
  });
  test('one thread: one call after another', () => {
    assert.deepEqual(poolTimeline(1, 4).map((c) => c.end), [1, 2, 3, 4, 5, 6, 7, 8]);
  });
  test('more threads than cores never finish the last call sooner than cores allow', () => {
    for (const cores of [1, 2, 4, 8]) for (const threads of [1, 2, 4, 8, 16]) {
      const end = Math.max(...poolTimeline(threads, cores).map((c) => c.end));
      assert.ok(end >= 8 / Math.min(cores, threads) - 1e-9, `${threads} threads, ${cores} cores: ${end}`);
    }
  });
});

describe('sizing rule', () => {
  test('threads = cores × utilisation × (1 + wait / compute)', () => {
    assert.equal(ruleThreads(2, 1, 45, 5), 20);
    assert.equal(ruleThreads(8, 0.5, 45, 5), 40);
    assert.equal(ruleThreads(4, 1, 0, 5), 4, 'CPU-bound: one per core');
    assert.equal(ruleThreads(1, 0.1, 0, 5), 1, 'never fewer than one');
  });
});
