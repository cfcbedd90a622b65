// The lab page: the event-loop gauge (polled from the lab, which keeps answering when the app
// does not), the five-requests timeline, the Load runs charted with uPlot beside the
// article's figures, and the idle-connections table.
const $ = (id) => document.getElementById(id);
const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const fmtMs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(ms >= 10_000 ? 0 : 1)} s` : `${ms >= 10 ? Math.round(ms) : ms.toFixed(1)} ms`);
const num = (n) => Math.round(n).toLocaleString('en');

// In a workshop, the lesson page passes each measured number on to the class's chart on the
// instructor's console. Anywhere else nobody listens, and a page opened on its own has no parent.
function report(experiment, label, value, unit) {
  if (window.parent === window || !Number.isFinite(value)) return;
  try {
    window.parent.postMessage({ hotpot: 'result', experiment, label, value, unit }, '*');
  } catch {
    // The class's chart is a bonus: the experiment's own figures stand without it.
  }
}

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) throw new Error(answer.error ?? `HTTP ${res.status}`);
  return answer;
}

// ---- The gauge ------------------------------------------------------------------------
let stats = null;
async function poll() {
  try {
    const res = await fetch('api/stats', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    stats = await res.json();
    const app = stats.app;
    $('status').dataset.state = app ? 'open' : 'closed';
    $('status').textContent = app
      ? `app process ${app.pid} answering · the sandbox reports ${app.cores} core${app.cores === 1 ? '' : 's'}${app.clusterWorker ? ' · running as a cluster' : ''}`
      : stats.waitingMs > 0 ? `the app has not answered for ${fmtMs(stats.waitingMs)}` : 'the app is not answering: is it running?';
    renderGauge();
  } catch (err) {
    $('status').dataset.state = 'closed';
    $('status').textContent = `the lab is not answering (${err.message})`;
  } finally {
    setTimeout(poll, 250);
  }
}
function renderGauge() {
  const last = stats.samples[stats.samples.length - 1];
  // While a poll is outstanding, the loop has been held at least that long.
  const ms = Math.max(stats.waitingMs, stats.waitingMs > 0 ? 0 : last?.delayMaxMs ?? 0);
  const gauge = $('gauge');
  gauge.dataset.ms = String(Math.round(ms));
  gauge.dataset.level = ms >= 200 ? 'bad' : ms >= 50 ? 'warn' : 'ok';
  gauge.setAttribute('aria-valuenow', String(Math.round(ms)));
  gauge.setAttribute('aria-valuetext', `${fmtMs(ms)} event-loop delay`);
  gauge.querySelector('.gauge-fill').style.width = `${Math.min(100, Math.max(0, (Math.log10(Math.max(ms, 1)) / 4) * 100))}%`;
  $('gauge-out').textContent = fmtMs(ms);
  const recent = stats.samples.filter((s) => s.t >= stats.now - 30_000).map((s) => s.delayMaxMs);
  const worst = Math.max(stats.waitingMs, ...recent, 0);
  $('gauge-worst').textContent = `Worst in the last 30 s: ${fmtMs(worst)}`;
  $('gauge-worst').dataset.ms = String(Math.round(worst));
}

// ---- The timeline ---------------------------------------------------------------------
let fired = null;
let selected = -1;
$('tl-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const handler = $('tl-handler').value;
  const seconds = Number($('tl-seconds').value);
  $('tl-fire').disabled = true;
  $('tl-summary').textContent = `Five requests to ${handler === 'archive' ? '/archive' : `/${handler}`} in flight…`;
  try {
    fired = await post('api/timeline', { handler, seconds });
    selected = -1;
    renderTimeline();
  } catch (err) {
    $('tl-summary').textContent = `Could not fire: ${err.message}`;
  } finally {
    $('tl-fire').disabled = false;
  }
});

function overlap(bars) {
  const edges = bars.filter((b) => b.started !== null).flatMap((b) => [[b.started, 1], [b.ended, -1]]).sort((x, y) => x[0] - y[0] || x[1] - y[1]);
  let now = 0, most = 0;
  for (const [, d] of edges) most = Math.max(most, (now += d));
  return most;
}

function renderTimeline() {
  const box = $('timeline');
  if (!fired) return;
  const width = Math.max(box.clientWidth - 8, 240);
  const label = 34, rowH = 26, top = 20;
  const height = top + fired.bars.length * rowH + 6;
  const end = Math.max(...fired.bars.map((b) => b.received)) * 1.04 + 1;
  const x = (ms) => label + (ms / end) * (width - label - 8);
  const step = end > 12_000 ? 2000 : end > 5000 ? 1000 : 500;
  let svg = `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-hidden="true">`;
  for (let t = 0; t <= end; t += step)
    svg += `<line x1="${x(t)}" x2="${x(t)}" y1="${top - 4}" y2="${height}" stroke="currentColor" stroke-opacity="0.12"/><text x="${x(t) + 2}" y="12" font-size="10" fill="currentColor" fill-opacity="0.65">${t / 1000} s</text>`;
  fired.bars.forEach((b, i) => {
    const y = top + i * rowH + 4;
    const on = i === selected;
    svg += `<text x="2" y="${y + 13}" font-size="11" fill="currentColor">#${b.i}</text>`;
    svg += `<rect x="${x(b.sent)}" y="${y}" width="${Math.max(2, x(b.received) - x(b.sent))}" height="18" rx="3" fill="#3577e5" fill-opacity="0.22" stroke="${on ? 'currentColor' : 'none'}" stroke-width="2"/>`;
    if (b.started !== null) svg += `<rect x="${x(b.started)}" y="${y + 3}" width="${Math.max(2, x(b.ended) - x(b.started))}" height="12" rx="2" fill="#3577e5"/>`;
  });
  svg += '</svg>';
  box.innerHTML = svg;
  box.dataset.bars = String(fired.bars.length);
  const together = overlap(fired.bars);
  const summary = $('tl-summary');
  summary.dataset.overlap = String(together);
  summary.dataset.total = String(fired.totalMs);
  summary.textContent =
    `${fired.path}: all ${fired.bars.length} answered after ${fmtMs(fired.totalMs)} for ${fired.seconds} s waits; ` +
    (together === fired.bars.length ? `all ${together} were running at once.` : together === 1 ? 'they ran one after another.' : `at most ${together} ran at once.`);
  if (selected >= 0) describe(fired.bars[selected]);
}
function describe(b) {
  const wait = b.started === null ? '' : `, waited ${fmtMs(b.started - b.sent)} before its handler started, handler ran ${(b.started / 1000).toFixed(2)}–${(b.ended / 1000).toFixed(2)} s`;
  $('tl-detail').textContent = `Request #${b.i}: sent at ${(b.sent / 1000).toFixed(2)} s${wait}, answered at ${(b.received / 1000).toFixed(2)} s by process ${b.pid ?? '–'} (HTTP ${b.status || 'failed'})`;
}
$('timeline').addEventListener('keydown', (e) => {
  if (!fired) return;
  const n = fired.bars.length;
  if (e.key === 'ArrowDown' || e.key === 'ArrowRight') selected = (selected + 1) % n;
  else if (e.key === 'ArrowUp' || e.key === 'ArrowLeft') selected = selected <= 0 ? n - 1 : selected - 1;
  else if (e.key === 'Home') selected = 0;
  else if (e.key === 'End') selected = n - 1;
  else return;
  e.preventDefault();
  renderTimeline();
});
$('timeline').addEventListener('pointermove', (e) => {
  if (!fired) return;
  const i = Math.floor((e.clientY - $('timeline').getBoundingClientRect().top - 24) / 26);
  if (i >= 0 && i < fired.bars.length && i !== selected) (selected = i), renderTimeline();
});

// ---- Load -----------------------------------------------------------------------------
const ARTICLE = [
  { label: "Django dev server (article's)", short: 'Django', rps: 294 },
  { label: "Tornado hello world (article's)", short: 'Tornado', rps: 1324 },
  { label: "nginx static file (article's)", short: 'nginx', rps: 2942 },
];
const SHORT = { blocking: 'blocking', async: 'awaited', hash: 'hash', report: 'report', static: 'static' };
const ORDER = ['blocking', 'async', 'hash', 'report', 'static'];
const runs = new Map();
let chart = null;

$('load-form').addEventListener('submit', async (e) => {
  e.preventDefault();
  const targets = [...document.querySelectorAll('input[name="target"]:checked')].map((i) => i.value);
  if (!targets.length) return ($('load-progress').textContent = 'Pick at least one endpoint.');
  const connections = Number($('load-connections').value);
  const seconds = Number($('load-seconds').value);
  $('load-run').disabled = true;
  try {
    for (const [i, target] of targets.entries()) {
      $('load-progress').textContent = `${i + 1} of ${targets.length}: loading ${target} with ${connections} connections for ${seconds} s…`;
      runs.set(target, await post('api/load', { target, connections, seconds }));
      // One chart per endpoint and connection count: the class's machines side by side.
      const run = runs.get(target);
      report(`load-${target}-c${connections}`, `Load, ${run.label}: ${connections} connections`, Math.round(run.requestsPerSecond), 'req/s');
      renderLoad();
    }
    $('load-progress').textContent = `Done: ${targets.length} endpoint${targets.length === 1 ? '' : 's'}, ${connections} connections, ${seconds} s each.`;
  } catch (err) {
    $('load-progress').textContent = `The load run stopped: ${err.message}`;
  } finally {
    $('load-run').disabled = false;
  }
});

function renderLoad() {
  const mine = ORDER.filter((t) => runs.has(t)).map((t) => runs.get(t));
  $('yours').innerHTML = mine
    .map((r) => `<tr data-target="${esc(r.target)}" data-rps="${r.requestsPerSecond}"><th scope="row">${esc(r.label)} <small>${esc(r.path)}, ${r.connections} connections, yours</small></th><td>${num(r.requestsPerSecond)}${r.non2xx || r.errors ? `<small>${[r.non2xx && `${num(r.non2xx)} not 2xx (503…)`, r.errors && `${num(r.errors)} errors or timeouts`].filter(Boolean).join(', ')}</small>` : ''}</td><td>${r.p50} ms</td><td>${r.p99} ms</td><td>${r.pingP99 ?? '–'} ms</td><td>${r.processes}</td></tr>`)
    .join('');
  $('results').dataset.runs = String(mine.length);
  drawChart(mine);
}

function drawChart(mine) {
  // Narrow: one line per label, slanted; wide: two lines, level.
  const box0 = $('chart');
  const slant = Math.max(280, box0.clientWidth) / (mine.length + ARTICLE.length) < 72;
  const join = (name, whose) => (slant ? `${name}, ${whose}` : `${name}\n${whose}`);
  const labels = [...mine.map((r) => join(SHORT[r.target] ?? r.target, 'yours')), ...ARTICLE.map((a) => join(a.short, "article's"))];
  const xs = labels.map((_, i) => i);
  const yours = [...mine.map((r) => r.requestsPerSecond), ...ARTICLE.map(() => null)];
  const article = [...mine.map(() => null), ...ARTICLE.map((a) => a.rps)];
  const p50 = [...mine.map((r) => r.p50), ...ARTICLE.map(() => null)];
  const p99 = [...mine.map((r) => r.p99), ...ARTICLE.map(() => null)];
  const box = $('chart');
  const width = Math.max(280, box.clientWidth);
  const height = width < 500 ? 260 : 300;
  const bars = uPlot.paths.bars({ size: [0.6, 64] });
  const opts = {
    width,
    height,
    legend: { show: true, live: false },
    cursor: { points: { show: false } },
    scales: { x: { time: false, range: [-0.5, labels.length - 0.5] }, rps: { range: (u, min, max) => [0, Math.max(100, max * 1.1)] }, ms: { range: (u, min, max) => [0, Math.max(10, max * 1.15)] } },
    axes: [
      { splits: () => xs, values: (u, splits) => splits.map((i) => labels[i] ?? ''), size: slant ? 96 : 44, rotate: slant ? -50 : 0, font: '11px system-ui', gap: 4 },
      { scale: 'rps', label: 'requests/s', labelSize: 18, size: 56 },
      { scale: 'ms', side: 1, label: 'latency, ms', labelSize: 18, grid: { show: false }, size: 50 },
    ],
    series: [
      {},
      { label: 'your req/s', scale: 'rps', fill: 'rgba(53,119,229,0.75)', stroke: '#3577e5', paths: bars, points: { show: false } },
      { label: "article's req/s", scale: 'rps', fill: 'rgba(128,128,128,0.4)', stroke: '#888', paths: bars, points: { show: false } },
      { label: 'p50', scale: 'ms', stroke: '#2a9d5c', width: 0, points: { show: true, size: 9, fill: '#2a9d5c' } },
      { label: 'p99', scale: 'ms', stroke: '#c9414b', width: 0, points: { show: true, size: 9, fill: '#c9414b' } },
    ],
  };
  const data = [xs, yours, article, p50, p99];
  if (chart) chart.destroy();
  box.innerHTML = '';
  chart = new uPlot(opts, data, box);
  box.dataset.points = String(mine.length);
}
// Redraw for a new width only (the page's height changes with every result).
let drawnWidth = document.body.clientWidth;
new ResizeObserver(() => {
  if (document.body.clientWidth === drawnWidth) return;
  drawnWidth = document.body.clientWidth;
  drawChart(ORDER.filter((t) => runs.has(t)).map((t) => runs.get(t)));
  if (fired) renderTimeline();
}).observe(document.body);

// ---- Idle connections -------------------------------------------------------------------
async function idle(model) {
  const count = Number($(model === 'threads' ? 'idle-threads-count' : 'idle-loop-count').value);
  const buttons = [$('idle-loop'), $('idle-threads')];
  buttons.forEach((b) => (b.disabled = true));
  $('idle-progress').textContent = `Opening ${num(count)} connections to ${model === 'threads' ? 'a thread-per-connection server' : 'an event-loop server'}…`;
  try {
    const r = await post('api/idle', { model, count });
    const mb = (b) => `${(b / 1048576).toFixed(1)} MB`;
    const per = (r.rssAfter - r.rssBefore) / r.count;
    const row = document.createElement('tr');
    row.dataset.model = r.model;
    row.dataset.perConnection = String(Math.round(per));
    row.innerHTML = `<th scope="row">${r.model === 'threads' ? 'a thread per connection' : 'one event loop'}</th><td>${num(r.count)}</td><td>${num(r.threads)}</td><td>${fmtMs(r.ms)}</td><td>${mb(r.rssAfter - r.rssBefore)}</td><td>${(per / 1024).toFixed(1)} KB</td><td>${r.count === 2000 ? mb(r.rssAfter - r.rssBefore) : `≈ ${mb(per * 2000)} <small>extrapolated from ${num(r.count)}</small>`}</td>`;
    $('idle').querySelector('tbody').prepend(row);
    $('idle').dataset.runs = String($('idle').querySelectorAll('tbody tr').length);
    $('idle-progress').textContent = `${num(r.count)} connections held: the server's memory grew by ${mb(r.rssAfter - r.rssBefore)} (${(per / 1024).toFixed(1)} KB each).`;
  } catch (err) {
    $('idle-progress').textContent = `Could not hold the connections: ${err.message}`;
  } finally {
    buttons.forEach((b) => (b.disabled = false));
  }
}
$('idle-loop').addEventListener('click', () => idle('event-loop'));
$('idle-threads').addEventListener('click', () => idle('threads'));

drawChart([]); // the article's bars, before any run of yours
poll();
