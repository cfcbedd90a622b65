// Thread per connection, select/poll and epoll/kqueue: eight connections, some with data, and
// what one wake-up touches in each model. A slider scales the open connections to see what
// each costs at 10,000. Keyboard: the radios and the slider. In MDX: <Readiness client:visible />.
import { useEffect, useState } from 'preact/hooks';
import { MECHANISMS, wakeUpCost, type Mechanism } from './model.ts';
import './concurrency.css';

const SHOWN = 8;
const READY = new Set([2, 5]);
const OPEN_STEPS = [8, 100, 1_000, 10_000, 100_000];

export default function Readiness() {
  const [mechanism, setMechanism] = useState<Mechanism>('threads');
  const [openIndex, setOpenIndex] = useState(3);
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  const open = OPEN_STEPS[openIndex]!;
  const cost = wakeUpCost(mechanism, open, 10);
  const fmt = (n: number) => n.toLocaleString('en');

  const rowY = (i: number) => 28 + i * 30;
  return (
    <div class="hcm" role="group" aria-label="How a server learns which connections have data" data-testid="readiness" data-mechanism={mechanism} data-ready={mounted ? 'true' : 'false'}>
      <fieldset class="hcm-choices">
        <legend>Model</legend>
        {(Object.keys(MECHANISMS) as Mechanism[]).map((m) => (
          <label class={m === mechanism ? 'hcm-choice hcm-on' : 'hcm-choice'} key={m}>
            <input type="radio" name="hcm-mechanism" value={m} checked={m === mechanism} disabled={!mounted} onChange={() => setMechanism(m)} />
            {MECHANISMS[m].name}
          </label>
        ))}
      </fieldset>
      <svg class="hcm-svg" viewBox="0 0 520 276" role="img" aria-label={`${MECHANISMS[mechanism].name}: ${MECHANISMS[mechanism].story}`}>
        <text x={10} y={16} class="hcm-tick">sockets (● has data)</text>
        <text x={mechanism === 'threads' ? 200 : 340} y={16} class="hcm-tick">{mechanism === 'threads' ? 'a thread each' : 'one thread'}</text>
        {Array.from({ length: SHOWN }, (_, i) => {
          const ready = READY.has(i);
          const touched = mechanism === 'select' || ready;
          return (
            <g key={i} class={touched ? 'hcm-touched' : undefined}>
              <rect x={10} y={rowY(i)} width={120} height={22} rx={4} class={ready ? 'hcm-sock hcm-sock-ready' : 'hcm-sock'} />
              <text x={18} y={rowY(i) + 15} class="hcm-label">conn {i + 1} {ready ? '●' : ''}</text>
              {mechanism === 'threads' && (
                <g>
                  <line x1={130} x2={200} y1={rowY(i) + 11} y2={rowY(i) + 11} class={ready ? 'hcm-link hcm-link-on' : 'hcm-link'} />
                  <rect x={200} y={rowY(i)} width={140} height={22} rx={4} class={ready ? 'hcm-thread hcm-thread-on' : 'hcm-thread'} />
                  <text x={208} y={rowY(i) + 15} class="hcm-label">{ready ? 'wakes: recv() returns' : 'asleep in recv()'}</text>
                </g>
              )}
              {mechanism !== 'threads' && touched && (
                <line x1={130} x2={340} y1={rowY(i) + 11} y2={134} class={ready ? 'hcm-link hcm-link-on' : 'hcm-link'} />
              )}
            </g>
          );
        })}
        {mechanism !== 'threads' && (
          <g>
            <rect x={340} y={108} width={170} height={52} rx={6} class="hcm-thread hcm-thread-on" />
            <text x={350} y={128} class="hcm-label">{mechanism === 'select' ? 'select(all 8)' : 'epoll_wait()'}</text>
            <text x={350} y={148} class="hcm-label">{mechanism === 'select' ? '8 checked, 2 ready' : '2 returned, 2 ready'}</text>
          </g>
        )}
      </svg>
      <p class="hcm-caption" aria-live="polite" data-testid="readiness-story">{MECHANISMS[mechanism].story}</p>
      <label class="hcm-slider">
        <span>
          Open connections: <output>{fmt(open)}</output>, 10 of them with data
        </span>
        <input type="range" min={0} max={OPEN_STEPS.length - 1} step={1} value={openIndex} disabled={!mounted} aria-valuetext={`${fmt(open)} open connections`} onInput={(e) => setOpenIndex(Number(e.currentTarget.value))} />
      </label>
      <table class="hcm-table" data-testid="readiness-cost">
        <caption>One wake-up with {fmt(open)} open connections</caption>
        <tbody>
          <tr><th scope="row">threads</th><td data-figure="threads">{fmt(cost.threads)}</td></tr>
          <tr><th scope="row">sockets the kernel and the program look at</th><td data-figure="checked">{fmt(cost.checked)}</td></tr>
          <tr><th scope="row">sockets with data handed back</th><td data-figure="returned">{fmt(cost.returned)}</td></tr>
          <tr><th scope="row">stack address space reserved (8 MB a thread on Linux; only touched pages use memory)</th><td data-figure="stack">{fmt(cost.stackMB)} MB</td></tr>
        </tbody>
      </table>
    </div>
  );
}
