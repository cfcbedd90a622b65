// The hotpot analogy, animated: B (the guest, a browser) and A (the host, a server) on the
// phone, with four ways for A's news to reach B. A sequence diagram steps through the story;
// two sliders drive a table that compares what each way costs. In MDX: <Hotpot client:visible />.
import { useEffect, useMemo, useState } from 'preact/hooks';
import {
  DEFAULT_PARAMS,
  FIGURES,
  SLIDERS,
  TECHNIQUES,
  TECHNIQUE_NAMES,
  calls,
  compare,
  formatFigure,
  frames,
  newsCount,
  type Figure,
  type Frame,
  type Technique,
} from './model.ts';
import './hotpot.css';

const FIGURE_IDS: Record<Figure, string> = {
  requests: 'requests',
  messages: 'messages',
  emptyAnswers: 'empty-answers',
  connections: 'connections',
  avgDelayMs: 'average-delay',
  worstDelayMs: 'worst-delay',
};

const FIGURE_NAMES: Record<Figure, string> = {
  requests: 'HTTP requests',
  messages: 'Messages, both ways',
  emptyAnswers: 'Empty answers',
  connections: 'Connections opened',
  avgDelayMs: 'Average delay for news',
  worstDelayMs: 'Worst delay for news',
};

const SHORT_NAMES: Record<Technique, string> = {
  polling: 'Polling',
  'long-polling': 'Long polling',
  sse: 'SSE',
  websocket: 'WebSocket',
};

const PLAY_EVERY_MS = 1800;

// Diagram geometry (SVG user units).
const W = 440;
const XB = 75; // B's lifeline
const XA = 365; // A's lifeline
const TOP = 100; // first row
const ROW = 32;
const rowTop = (i: number) => TOP + i * ROW;
const arrowY = (i: number) => rowTop(i) + 23;

export function Hotpot({ name = 'hotpot' }: { name?: string } = {}) {
  const [technique, setTechnique] = useState<Technique>('polling');
  const [step, setStep] = useState(0);
  const [pollIntervalS, setPollIntervalS] = useState(DEFAULT_PARAMS.pollIntervalS);
  const [newsPerMinute, setNewsPerMinute] = useState(DEFAULT_PARAMS.newsPerMinute);
  const [playing, setPlaying] = useState(false);
  // Until hydration the controls have no handlers: keep them disabled so no input is lost.
  // At either end Back or Next is only aria-disabled, so it keeps the keyboard focus.
  const [mounted, setMounted] = useState(false);
  useEffect(() => setMounted(true), []);

  const list = frames(technique);
  const last = list.length - 1;
  const frame = list[step]!;
  const params = { ...DEFAULT_PARAMS, pollIntervalS, newsPerMinute };
  const table = useMemo(() => compare(params), [pollIntervalS, newsPerMinute]);

  useEffect(() => {
    if (!playing) return;
    if (step >= last) return setPlaying(false);
    const timer = setTimeout(() => setStep((s) => Math.min(s + 1, last)), PLAY_EVERY_MS);
    return () => clearTimeout(timer);
  }, [playing, step, last]);

  const choose = (t: Technique) => {
    setTechnique(t);
    setStep(0);
    setPlaying(false);
  };
  const back = () => (setPlaying(false), setStep((s) => Math.max(0, s - 1)));
  const next = () => (setPlaying(false), setStep((s) => Math.min(last, s + 1)));
  const play = () => {
    if (playing) return setPlaying(false);
    if (step >= last) setStep(0);
    setPlaying(true);
  };

  const minutes = DEFAULT_PARAMS.durationS / 60;
  const news = Math.round(newsCount(params));

  return (
    <div class="hpt" role="group" aria-label="The hotpot analogy" data-testid="hotpot" data-technique={technique} data-step={step + 1} data-ready={mounted ? 'true' : 'false'}>
      <fieldset class="hpt-techniques">
        <legend class="visually-hidden">Technique</legend>
        {TECHNIQUES.map((t) => (
          <label class={t === technique ? 'hpt-tab hpt-tab-on' : 'hpt-tab'} key={t}>
            <input type="radio" name={`${name}-technique`} value={t} checked={t === technique} disabled={!mounted} onChange={() => choose(t)} />
            {TECHNIQUE_NAMES[t]}
          </label>
        ))}
      </fieldset>

      <Diagram technique={technique} list={list} step={step} />

      <div class="hpt-stepper">
        <button type="button" class="hpt-button" onClick={back} disabled={!mounted} aria-disabled={step === 0 ? 'true' : undefined} aria-label="Back">
          ◀ Back
        </button>
        <button type="button" class="hpt-button" onClick={play} disabled={!mounted} aria-label={playing ? 'Pause' : 'Play'}>
          {playing ? '❚❚ Pause' : '▷ Play'}
        </button>
        <button type="button" class="hpt-button hpt-primary" onClick={next} disabled={!mounted} aria-disabled={step === last ? 'true' : undefined} aria-label="Next">
          Next ▶
        </button>
      </div>
      <div class="hpt-caption" aria-live="polite" aria-atomic="true" data-testid="hotpot-caption">
        <p class="hpt-counter" data-testid="hotpot-step">
          Step {step + 1} of {list.length}
        </p>
        <p class="hpt-story">{frame.story}</p>
        <p class="hpt-http">{frame.http}</p>
      </div>

      <div class="hpt-sliders">
        <Slider
          label="B polls every"
          range={SLIDERS.pollIntervalS}
          value={pollIntervalS}
          shown={`${pollIntervalS} s`}
          spoken={`${pollIntervalS} seconds`}
          disabled={!mounted}
          onChange={setPollIntervalS}
        />
        <Slider
          label="News from A, per minute"
          range={SLIDERS.newsPerMinute}
          value={newsPerMinute}
          shown={String(newsPerMinute)}
          spoken={`${newsPerMinute} per minute`}
          disabled={!mounted}
          onChange={setNewsPerMinute}
        />
      </div>

      <div class="hpt-table-wrap">
        <table class="hpt-table">
          <caption>
            {minutes} minutes of shopping, about {news} pieces of news, {DEFAULT_PARAMS.rttMs} ms round trip
          </caption>
          <thead>
            <tr>
              <td></td>
              {TECHNIQUES.map((t) => (
                <th scope="col" key={t} class={t === technique ? 'hpt-current' : undefined} aria-current={t === technique ? 'true' : undefined}>
                  {SHORT_NAMES[t]}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {FIGURES.map((f) => (
              <tr key={f}>
                <th scope="row">{FIGURE_NAMES[f]}</th>
                {TECHNIQUES.map((t) => (
                  <td key={t} class={t === technique ? 'hpt-current' : undefined} data-technique={t} data-figure={FIGURE_IDS[f]}>
                    {formatFigure(f, table[t][f])}
                  </td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p class="hpt-notes">
        Averages for news arriving at random, rounded. Polling and long polling count one connection per request, like one
        phone call per question; HTTP keep-alive can reuse the TCP connection, but every request still costs a round trip
        and a set of headers. Long polling times out after {DEFAULT_PARAMS.longPollTimeoutS} s. Messages include
        keep-alives: an SSE comment, or a WebSocket ping and its pong, every {DEFAULT_PARAMS.keepAliveS} s.
      </p>
    </div>
  );
}

export default Hotpot;

interface SliderProps {
  label: string;
  range: { min: number; max: number; step: number };
  value: number;
  shown: string;
  spoken: string;
  disabled: boolean;
  onChange: (value: number) => void;
}

function Slider({ label, range, value, shown, spoken, disabled, onChange }: SliderProps) {
  return (
    <div class="hpt-slider">
      <label>
        <span>{label}</span>
        <input
          type="range"
          min={range.min}
          max={range.max}
          step={range.step}
          value={value}
          aria-valuetext={spoken}
          disabled={disabled}
          onInput={(e) => onChange(Number(e.currentTarget.value))}
        />
      </label>
      <output>{shown}</output>
    </div>
  );
}

function Diagram({ technique, list, step }: { technique: Technique; list: readonly Frame[]; step: number }) {
  const height = rowTop(list.length) + 12;
  const open = list[step]!.lineOpen;
  const bands = calls(list)
    .filter(([s]) => s <= step)
    .map(([s, e]) => [s, Math.min(e, step)] as const);
  const desc =
    `A sequence diagram of ${TECHNIQUE_NAMES[technique]}. B, the guest, is the browser, on the left; A, the host, is the server, on the right. ` +
    list
      .slice(0, step + 1)
      .map((f, i) => `${i + 1}: ${f.from} to ${f.to}, "${f.label}"${f.lineOpen ? '' : ', then the line is down'}.`)
      .join(' ');
  return (
    <svg class="hpt-diagram" viewBox={`0 0 ${W} ${height}`} role="img" aria-labelledby={`hpt-title-${technique} hpt-desc-${technique}`}>
      <title id={`hpt-title-${technique}`}>{`The hotpot story as ${TECHNIQUE_NAMES[technique]}`}</title>
      <desc id={`hpt-desc-${technique}`}>{desc}</desc>
      <defs>
        {(['fg', 'accent', 'muted'] as const).map((c) => (
          <marker key={c} id={`hpt-head-${c}`} viewBox="0 0 10 10" refX="9" refY="5" markerWidth="10" markerHeight="10" markerUnits="userSpaceOnUse" orient="auto-start-reverse">
            <path class={`hpt-head-${c}`} d="M0 0 L10 5 L0 10 z" />
          </marker>
        ))}
      </defs>

      {/* B with a shopping basket */}
      <g class="hpt-actor">
        <path class="hpt-icon" d={`M${XB - 16} 32 q16 -20 32 0`} fill="none" />
        <path class="hpt-icon hpt-fill" d={`M${XB - 22} 32 h44 l-6 22 h-32 z`} />
        <path class="hpt-leaf" d={`M${XB - 6} 32 q-4 -10 4 -14 q2 8 -4 14 M${XB + 6} 32 q0 -9 8 -11 q0 8 -8 11`} />
        <text x={XB} y="74" text-anchor="middle" class="hpt-name">B, the guest</text>
        <text x={XB} y="90" text-anchor="middle" class="hpt-role">browser</text>
      </g>
      {/* A at the hotpot */}
      <g class="hpt-actor">
        <path class="hpt-steam" d={`M${XA - 10} 26 q-4 -6 0 -12 q4 -6 0 -12 M${XA} 26 q-4 -6 0 -12 q4 -6 0 -12 M${XA + 10} 26 q-4 -6 0 -12 q4 -6 0 -12`} />
        <path class="hpt-icon hpt-fill" d={`M${XA - 26} 32 h52 q0 22 -26 22 q-26 0 -26 -22 z`} />
        <path class="hpt-icon" d={`M${XA - 26} 36 h-6 M${XA + 26} 36 h6`} />
        <text x={XA} y="74" text-anchor="middle" class="hpt-name">A, the host</text>
        <text x={XA} y="90" text-anchor="middle" class="hpt-role">server</text>
      </g>

      {/* The phone line, now: one cable while the call is on, cut when hung up. */}
      <g class={open ? 'hpt-cable hpt-cable-open' : 'hpt-cable'} data-line={open ? 'open' : 'closed'}>
        {open ? (
          <path d={`M${XB + 34} 44 H${XA - 40}`} />
        ) : (
          <path d={`M${XB + 34} 44 H${W / 2 - 30} M${W / 2 + 30} 44 H${XA - 40}`} />
        )}
        <text x={W / 2} y="36" text-anchor="middle">{open ? 'line open' : 'hung up'}</text>
      </g>

      <line class="hpt-lifeline" x1={XB} y1={TOP - 6} x2={XB} y2={height - 6} />
      <line class="hpt-lifeline" x1={XA} y1={TOP - 6} x2={XA} y2={height - 6} />

      {bands.map(([s, e]) => (
        <rect key={`${technique}-band-${s}`} class="hpt-band" data-band x={XB} y={rowTop(s) + 2} width={XA - XB} height={rowTop(e + 1) - rowTop(s) - 3} rx="8" />
      ))}

      {list.slice(0, step + 1).map((f, i) => (
        <Arrow key={`${technique}-${i}`} frame={f} i={i} current={i === step} />
      ))}
    </svg>
  );
}

function Arrow({ frame, i, current }: { frame: Frame; i: number; current: boolean }) {
  const right = frame.from === 'B';
  const x1 = right ? XB + 4 : XA - 4;
  const x2 = right ? XA - 6 : XB + 6;
  const y = arrowY(i);
  const head = frame.kind === 'push' ? 'accent' : frame.kind === 'ping' ? 'muted' : 'fg';
  const cls = ['hpt-arrow', `hpt-${frame.kind}`, frame.sideCall ? 'hpt-side' : '', frame.news ? 'hpt-news' : '', current ? 'hpt-now' : ''].filter(Boolean).join(' ');
  return (
    <g class={cls} data-arrow={i + 1} data-kind={frame.kind}>
      <line x1={x1} y1={y} x2={x2} y2={y} marker-end={`url(#hpt-head-${head})`} />
      <text x={(XA + XB) / 2} y={y - 6} text-anchor="middle">
        {frame.label}
        {frame.sideCall ? ' (2nd call)' : ''}
      </text>
      {current && <circle class="hpt-token" cx={x1} cy={y} r="5" style={{ '--hpt-dx': `${x2 - x1}px` }} />}
    </g>
  );
}
