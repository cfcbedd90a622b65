// Eight crypto.pbkdf2 calls submitted at once to libuv's pool, drawn as a timeline: pick the
// pool's size (UV_THREADPOOL_SIZE) and the machine's cores, and step through time with the
// slider or the arrow keys. In MDX: <LibuvTimeline client:visible />.
import { useEffect, useMemo, useState } from 'preact/hooks';
import { poolTimeline, stateAt } from './model.ts';
import './thread-pools.css';

const SIZES = [1, 2, 4, 8];
const CORES = [2, 4, 8];
const W = 480;
const LABEL = 56;
const ROW = 22;

export default function LibuvTimeline() {
  const [threads, setThreads] = useState(4);
  const [cores, setCores] = useState(8);
  const calls = useMemo(() => poolTimeline(threads, cores), [threads, cores]);
  const end = Math.max(...calls.map((c) => c.end));
  const [t, setT] = useState(0);
  const [playing, setPlaying] = useState(false);
  useEffect(() => setT((old) => Math.min(old, end)), [end]);
  useEffect(() => {
    if (!playing) return;
    const timer = setInterval(() => setT((old) => (old + 0.1 >= end ? (setPlaying(false), end) : old + 0.1)), 100);
    return () => clearInterval(timer);
  }, [playing, end]);
  const reduced = typeof matchMedia === 'function' && matchMedia('(prefers-reduced-motion: reduce)').matches;
  const x = (u: number) => LABEL + (u / end) * (W - LABEL - 8);
  const running = calls.filter((c) => stateAt(c, t) === 'running').length;
  const done = calls.filter((c) => stateAt(c, t) === 'done').length;
  const H = calls.length * ROW + 24;

  return (
    <figure class="hp-pool" data-testid="libuv-timeline">
      <div class="hp-pool-controls">
        <label>
          UV_THREADPOOL_SIZE
          <select value={threads} onChange={(e) => setThreads(Number(e.currentTarget.value))}>
            {SIZES.map((s) => <option value={s} key={s}>{s}{s === 4 ? ' (default)' : ''}</option>)}
          </select>
        </label>
        <label>
          Cores
          <select value={cores} onChange={(e) => setCores(Number(e.currentTarget.value))}>
            {CORES.map((c) => <option value={c} key={c}>{c}</option>)}
          </select>
        </label>
        <button type="button" onClick={() => (t >= end ? (setT(0), setPlaying(!reduced)) : setPlaying(!playing && !reduced))} disabled={reduced} title={reduced ? 'Animation is off (reduced motion): use the slider' : undefined}>
          {playing ? 'Pause' : 'Play'}
        </button>
      </div>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Eight pbkdf2 calls on a pool of ${threads} threads with ${cores} cores: the last finishes after ${end.toFixed(1)} times one call's time.`}>
        {calls.map((c, i) => {
          const state = stateAt(c, t);
          return (
            <g key={c.n} data-state={state}>
              <text x={2} y={i * ROW + 15}>call {c.n}</text>
              {c.start > 0 && <rect class="hp-pool-wait" x={x(0)} y={i * ROW + 4} width={x(c.start) - x(0)} height={ROW - 8} />}
              <rect class="hp-pool-run" x={x(c.start)} y={i * ROW + 4} width={Math.max(1, x(c.end) - x(c.start))} height={ROW - 8} />
            </g>
          );
        })}
        <line class="hp-pool-now" x1={x(t)} x2={x(t)} y1={0} y2={H - 20} />
        <text x={LABEL} y={H - 4}>0</text>
        <text x={W - 8} y={H - 4} text-anchor="end">{end.toFixed(1)} × one call</text>
      </svg>
      <label class="hp-pool-time">
        Time
        <input type="range" min={0} max={end} step={0.05} value={t} onInput={(e) => (setPlaying(false), setT(Number(e.currentTarget.value)))} aria-valuetext={`${t.toFixed(2)} times one call`} />
      </label>
      <figcaption aria-live="polite" data-testid="libuv-state">
        At {t.toFixed(1)} × one call: {running} running, {calls.length - running - done} waiting for a thread, {done} done.
        {threads > cores && ` ${threads} threads share ${cores} cores, so each running call goes at ${Math.round((cores / threads) * 100)}% speed.`}
      </figcaption>
    </figure>
  );
}
