// The cron box: type a pattern and a time zone, see it in words and its next ten firings in
// that zone and in UTC, with daylight-saving days marked. In MDX: <CronBox client:visible />.
import { useMemo, useState } from 'preact/hooks';
import { EXAMPLES, explain, zonedInstant } from './cron.ts';
import './cron.css';

const ZONES = ['UTC', 'Asia/Shanghai', 'Europe/Berlin', 'Europe/London', 'America/New_York', 'America/Los_Angeles', 'Australia/Sydney', 'Asia/Kolkata', 'Asia/Kathmandu', 'Asia/Tokyo'];

export default function CronBox() {
  const [pattern, setPattern] = useState(EXAMPLES[0]!.pattern);
  const [tz, setTz] = useState(EXAMPLES[0]!.tz);
  const [from, setFrom] = useState('');
  const [now] = useState(() => Date.now());
  const start = from ? zonedInstant(from, tz) : now;
  const result = useMemo(() => explain(pattern, tz.trim(), start), [pattern, tz, start]);

  const pick = (i: number) => {
    const ex = EXAMPLES[i];
    if (!ex) return;
    setPattern(ex.pattern);
    setTz(ex.tz);
    setFrom(ex.from ?? '');
  };

  return (
    <div class="hp-cron" data-testid="cron-box">
      <div class="hp-cron-inputs">
        <label>
          Pattern
          <input type="text" value={pattern} spellcheck={false} autocomplete="off" onInput={(e) => setPattern(e.currentTarget.value)} aria-describedby="hp-cron-help" />
        </label>
        <label>
          Time zone
          <input type="text" value={tz} list="hp-cron-zones" spellcheck={false} autocomplete="off" onInput={(e) => setTz(e.currentTarget.value)} />
          <datalist id="hp-cron-zones">{ZONES.map((z) => <option value={z} key={z} />)}</datalist>
        </label>
        <label>
          Starting from <span class="hp-cron-muted">(local time in that zone; empty = now)</span>
          <input type="datetime-local" value={from} onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>
        <label>
          Try
          <select onChange={(e) => pick(Number(e.currentTarget.value))} value="">
            <option value="" disabled>an example…</option>
            {EXAMPLES.map((ex, i) => <option value={i} key={ex.label}>{ex.label}</option>)}
          </select>
        </label>
      </div>
      <p id="hp-cron-help" class="hp-cron-muted">
        5 fields: minute, hour, day of month, month, day of week. BullMQ also takes 6, with seconds first.
        Parsed by cron-parser 5.10.3, the version BullMQ 6.7 schedules with.
      </p>
      {result.ok ? (
        <div class="hp-cron-out" aria-live="polite">
          <p class="hp-cron-words" data-testid="cron-words">
            <strong>{result.words.charAt(0).toUpperCase() + result.words.slice(1)}</strong>, in {tz.trim()}.
          </p>
          {result.warning && <p class="hp-cron-warning">{result.warning}</p>}
          {result.changes.length > 0 && (
            <ul class="hp-cron-changes" data-testid="cron-changes">
              {result.changes.map((c) => <li key={c.at} data-kind={c.kind}>{c.text}</li>)}
            </ul>
          )}
          <div class="hp-cron-scroll">
            <table data-testid="cron-firings">
              <caption>The next {result.firings.length} firings</caption>
              <thead>
                <tr><th scope="col">#</th><th scope="col">In {tz.trim()}</th><th scope="col">In UTC</th></tr>
              </thead>
              <tbody>
                {result.firings.map((f, i) => (
                  <tr key={f.at} data-dst={f.dst ? 'yes' : undefined}>
                    <td>{i + 1}</td>
                    <td>{f.local}{f.dst && <span class="hp-cron-dst"><span aria-hidden="true">⚠ </span>{f.dst}</span>}</td>
                    <td>{f.utc}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </div>
      ) : (
        <p class="hp-cron-error" role="alert" data-testid="cron-error">{result.error}</p>
      )}
    </div>
  );
}
