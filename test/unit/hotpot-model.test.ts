// The hotpot analogy's model: the cost and delay of each technique, and the story frames.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DEFAULT_PARAMS,
  FIGURES,
  SLIDERS,
  TECHNIQUES,
  calls,
  compare,
  figures,
  formatDelay,
  frames,
  newsCount,
  type Params,
} from '../../site/components/lesson/hotpot/model.ts';

const p = (over: Partial<Params> = {}): Params => ({ ...DEFAULT_PARAMS, ...over });

/** Every slider position, a coarse grid of both. */
function* grid(): Generator<Params> {
  for (let poll = SLIDERS.pollIntervalS.min; poll <= SLIDERS.pollIntervalS.max; poll += 7)
    for (let news = SLIDERS.newsPerMinute.min; news <= SLIDERS.newsPerMinute.max; news += 3.5) yield p({ pollIntervalS: poll, newsPerMinute: news });
}

test('polling: halving the interval doubles the requests and roughly halves the average delay', () => {
  const slow = figures('polling', p({ pollIntervalS: 20 }));
  const fast = figures('polling', p({ pollIntervalS: 10 }));
  assert.equal(slow.requests, 30);
  assert.equal(fast.requests, 2 * slow.requests);
  assert.equal(fast.messages, 2 * fast.requests, 'a request and an answer each');
  assert.equal(fast.connections, fast.requests, 'one call per question');
  const ratio = fast.avgDelayMs / slow.avgDelayMs;
  assert.ok(ratio > 0.49 && ratio < 0.52, `average delay ratio ${ratio}`);
  assert.equal(slow.avgDelayMs, 10_000 + 50, 'half an interval plus half a round trip');
  assert.equal(slow.worstDelayMs, 20_000 + 50, 'a whole interval plus half a round trip');
});

test('polling: with rare news most answers are empty, with frequent news fewer are', () => {
  const rare = figures('polling', p({ pollIntervalS: 5, newsPerMinute: 0.5 }));
  const often = figures('polling', p({ pollIntervalS: 5, newsPerMinute: 30 }));
  assert.ok(rare.emptyAnswers > 0.9 * rare.requests, `${rare.emptyAnswers} of ${rare.requests}`);
  assert.ok(often.emptyAnswers < rare.emptyAnswers);
  // An answer carries news or it is empty: never more news answers than news.
  for (const q of grid()) {
    const f = figures('polling', q);
    assert.ok(f.requests - f.emptyAnswers <= Math.round(newsCount(q)) + 1, JSON.stringify(q));
  }
});

test('long polling: requests grow with the news rate, the delay stays near half a round trip', () => {
  const rates = [0.5, 2, 5, 10, 30];
  const requests = rates.map((newsPerMinute) => figures('long-polling', p({ newsPerMinute })).requests);
  for (let i = 1; i < requests.length; i++) assert.ok(requests[i]! > requests[i - 1]!, `requests ${requests.join(', ')}`);
  // Quiet: about one request per 30 s timeout; busy: about one per piece of news.
  assert.ok(Math.abs(figures('long-polling', p({ newsPerMinute: 0.5 })).requests - 600 / 30) < 5);
  const busy = p({ newsPerMinute: 30 });
  assert.ok(Math.abs(figures('long-polling', busy).requests - newsCount(busy)) / newsCount(busy) < 0.1);
  assert.equal(figures('long-polling', busy).emptyAnswers, 0, 'no timeouts when news comes every 2 s');
  for (const q of grid()) {
    const f = figures('long-polling', q);
    assert.ok(f.avgDelayMs >= q.rttMs / 2 && f.avgDelayMs < q.rttMs, `average ${f.avgDelayMs}`);
    assert.equal(f.worstDelayMs, 1.5 * q.rttMs, 'news in the reconnect gap waits one round trip more');
    // The poll interval is not long polling's business.
    assert.deepEqual(f, figures('long-polling', { ...q, pollIntervalS: 1 }));
  }
});

test('SSE and WebSocket: one connection whatever the sliders, news after half a round trip', () => {
  for (const q of grid()) {
    for (const t of ['sse', 'websocket'] as const) {
      const f = figures(t, q);
      assert.equal(f.connections, 1);
      assert.equal(f.requests, 1);
      assert.equal(f.emptyAnswers, 0);
      assert.equal(f.avgDelayMs, q.rttMs / 2);
      assert.equal(f.worstDelayMs, q.rttMs / 2);
      assert.ok(f.messages >= Math.round(newsCount(q)) + 2, 'opening, its answer, and every news');
    }
  }
  // Messages grow with news, not with the poll interval.
  assert.ok(figures('websocket', p({ newsPerMinute: 10 })).messages > figures('websocket', p({ newsPerMinute: 1 })).messages);
  assert.deepEqual(figures('websocket', p({ pollIntervalS: 1 })), figures('websocket', p({ pollIntervalS: 60 })));
});

test('every figure is a finite, non-negative number, counts are whole', () => {
  for (const q of grid()) {
    const all = compare(q);
    for (const t of TECHNIQUES)
      for (const f of FIGURES) {
        const v = all[t][f];
        assert.ok(Number.isFinite(v) && v >= 0, `${t} ${f} = ${v}`);
        if (!f.endsWith('Ms')) assert.ok(Number.isInteger(v), `${t} ${f} = ${v}`);
      }
    // Keeping the line open beats asking on a timer, for delay.
    assert.ok(all.websocket.avgDelayMs < all.polling.avgDelayMs);
  }
});

test('frames: every story starts with B calling, alternates sensibly, and has A news', () => {
  for (const t of TECHNIQUES) {
    const list = frames(t);
    assert.ok(list.length >= 6 && list.length <= 12, `${t}: ${list.length} frames`);
    assert.equal(list[0]!.from, 'B', `${t}: the browser always dials first`);
    assert.equal(list[0]!.lineOpen, true);
    assert.equal(list.at(-1)!.lineOpen, false, `${t}: the story ends hung up`);
    for (const f of list) {
      assert.notEqual(f.from, f.to);
      assert.ok(f.label && f.story && f.http, `${t}: a frame with nothing to say`);
    }
    const said = list.map((f) => f.label).join(' ');
    assert.match(said, /Dipping sauce/);
    assert.match(said, /Wine/);
  }
});

test('frames: polling hangs up after every answer, and A never speaks first', () => {
  const list = frames('polling');
  list.forEach((f, i) => {
    if (f.kind === 'response') {
      assert.equal(f.lineOpen, false, `answer ${i + 1} leaves the line open`);
      assert.equal(list[i - 1]!.kind, 'request', 'an answer follows its request');
    }
    if (f.kind === 'request') assert.equal(f.lineOpen, true);
  });
  assert.ok(!list.some((f) => f.kind === 'push' || f.kind === 'open'));
  assert.ok(list.filter((f) => f.from === 'A').every((f) => f.kind === 'response'));
  assert.ok(list.some((f) => f.label === 'Nothing'), 'at least one empty answer');
  assert.equal(calls(list).length, list.filter((f) => f.kind === 'request').length, 'one call per request');
});

test('frames: long polling holds each request until news, then calls back', () => {
  const list = frames('long-polling');
  assert.ok(list.filter((f) => f.kind === 'response').every((f) => !f.lineOpen));
  assert.ok(!list.some((f) => f.kind === 'push'), 'news still arrives as an answer');
  assert.ok(list.some((f) => f.kind === 'response' && /sauce/i.test(f.label)));
});

test('frames: WebSocket opens once, then A pushes while the line stays open', () => {
  const list = frames('websocket');
  assert.equal(list.filter((f) => f.kind === 'open').length, 1);
  assert.equal(list[0]!.kind, 'open');
  assert.equal(list.filter((f) => f.kind === 'close').length, 1);
  assert.equal(list.at(-1)!.kind, 'close');
  const pushes = list.filter((f) => f.kind === 'push');
  assert.ok(pushes.length >= 2);
  for (const f of pushes) assert.equal(f.from, 'A'), assert.equal(f.lineOpen, true);
  assert.ok(list.slice(0, -1).every((f) => f.lineOpen), 'nobody hangs up before the end');
  assert.ok(list.some((f) => f.from === 'B' && f.kind === 'request'), 'B talks on the same line');
  assert.deepEqual(calls(list), [[0, list.length - 1]], 'a single call');
});

test('frames: SSE keeps one stream open and asks questions on the side', () => {
  const list = frames('sse');
  assert.equal(list.filter((f) => f.kind === 'open').length, 1);
  assert.ok(list.filter((f) => f.kind === 'push').every((f) => f.from === 'A' && f.lineOpen));
  const side = list.filter((f) => f.sideCall);
  assert.ok(side.some((f) => f.from === 'B'), "B's question goes on a second call");
  assert.ok(!list.some((f) => f.from === 'B' && f.kind === 'request' && !f.sideCall), 'nothing from B on the stream');
  assert.deepEqual(calls(list), [[0, list.length - 1]]);
});

test('delays read in the unit that suits them', () => {
  assert.equal(formatDelay(50), '50 ms');
  assert.equal(formatDelay(5050), '5.1 s');
  assert.equal(formatDelay(30_050), '30 s');
});
