// The models behind the lesson's pictures, kept apart from the drawing so they can be tested:
// libuv's pool running eight equal calls, and the sizing rule.

export interface Call {
  /** 1-based, in submission order. */
  n: number;
  /** When a pool thread took it, and when it finished, in units of one call alone on a free core. */
  start: number;
  end: number;
}

/**
 * Eight (or `count`) equal CPU-bound calls submitted together to a pool of `threads` threads on
 * `cores` cores. A thread takes the next call when it finishes one; running threads share the
 * cores evenly, so each runs at min(1, cores / running) of full speed.
 */
export function poolTimeline(threads: number, cores: number, count = 8): Call[] {
  const calls: Call[] = [];
  const running: { n: number; start: number; left: number }[] = [];
  let next = 1;
  let t = 0;
  const take = () => {
    while (running.length < threads && next <= count) running.push({ n: next++, start: t, left: 1 });
  };
  take();
  while (running.length) {
    const speed = Math.min(1, cores / running.length);
    const step = Math.min(...running.map((r) => r.left)) / speed;
    t += step;
    for (const r of running) r.left -= step * speed;
    for (const r of running.filter((r) => r.left <= 1e-9)) calls.push({ n: r.n, start: r.start, end: t });
    running.splice(0, running.length, ...running.filter((r) => r.left > 1e-9));
    take();
  }
  return calls.sort((a, b) => a.n - b.n);
}

/** What each call is doing at time t. */
export function stateAt(call: Call, t: number): 'waiting' | 'running' | 'done' {
  return t < call.start ? 'waiting' : t < call.end ? 'running' : 'done';
}

/** threads = cores × utilisation × (1 + wait / compute), at least 1. */
export function ruleThreads(cores: number, utilisation: number, waitMs: number, computeMs: number): number {
  return Math.max(1, Math.round(cores * utilisation * (1 + waitMs / Math.max(computeMs, 1e-9))));
}
