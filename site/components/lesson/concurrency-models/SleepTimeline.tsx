// The article's experiment as a timeline: five requests sent at once to a view that prints
// "start", sleeps five seconds and prints "end", under each server model. One bar per
// request, from when its handler starts to when it ends; the grey part before it is waiting.
// In MDX: <SleepTimeline client:visible />.
import { useEffect, useState } from 'preact/hooks';
import { SERVERS, schedule } from './model.ts';
import './concurrency.css';

const SECONDS = 5;
const W = 520;
const LEFT = 34;
const ROW = 26;
const TOP = 22;

export default function SleepTimeline() {
  const [id, setId] = useState(SERVERS[0]!.id);
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);
  const server = SERVERS.find((s) => s.id === id)!;
  const bars = schedule(server.capacity, 5, SECONDS);
  const total = Math.max(...bars.map((b) => b.end));
  const span = 25;
  const x = (s: number) => LEFT + (s / span) * (W - LEFT - 24); // room for the last tick's label
  const height = TOP + bars.length * ROW + 8;

  return (
    <div class="hcm" role="group" aria-label="Five sleep(5) requests at once, by server" data-testid="sleep-timeline" data-server={id} data-total={total} data-ready={mounted ? 'true' : 'false'}>
      <fieldset class="hcm-choices">
        <legend>Served by</legend>
        {SERVERS.map((s) => (
          <label class={s.id === id ? 'hcm-choice hcm-on' : 'hcm-choice'} key={s.id}>
            <input type="radio" name="hcm-server" value={s.id} checked={s.id === id} disabled={!mounted} onChange={() => setId(s.id)} />
            {s.name}
          </label>
        ))}
      </fieldset>
      <svg class="hcm-svg" viewBox={`0 0 ${W} ${height}`} role="img" aria-label={`${server.name}: ${bars.map((b) => `request ${b.i} runs ${b.start} to ${b.end} s`).join('; ')}`}>
        {[0, 5, 10, 15, 20, 25].map((t) => (
          <g key={t}>
            <line x1={x(t)} x2={x(t)} y1={TOP - 6} y2={height} class="hcm-grid" />
            <text x={x(t) + 2} y={12} class="hcm-tick">{t} s</text>
          </g>
        ))}
        {bars.map((b, k) => {
          const y = TOP + k * ROW;
          return (
            <g key={b.i}>
              <text x={2} y={y + 15} class="hcm-label">#{b.i}</text>
              {b.start > 0 && <rect x={x(0)} y={y + 6} width={x(b.start) - x(0)} height={8} rx={2} class="hcm-wait" />}
              <rect x={x(b.start)} y={y + 2} width={x(b.end) - x(b.start)} height={16} rx={3} class="hcm-run" />
              <text x={x(b.start) + 4} y={y + 14} class="hcm-in">start … end</text>
            </g>
          );
        })}
      </svg>
      <p class="hcm-caption" aria-live="polite" data-testid="sleep-caption">
        <strong>{total} s</strong> for all five. {server.note} <code>{server.command}</code>
      </p>
    </div>
  );
}
