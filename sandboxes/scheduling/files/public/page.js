// The page: polls /api/state every second (so it comes back by itself after a restart) and
// draws the schedulers, the timeline and the inbox from what the broker holds.
const $ = (id) => document.getElementById(id);
const WINDOW_MS = 60_000; // the timeline shows the last minute, and the next few seconds
const AHEAD_MS = 8_000;
const COLOURS = ['#3577e5', '#e07b1f', '#2a9d5c', '#b44bc4', '#c9414b', '#1c9fb0'];
let state = null;
let skew = 0; // server clock minus this page's clock
let marks = [];
let selected = -1;

const workerColour = (() => {
  const seen = new Map();
  return (name) => {
    if (!seen.has(name)) seen.set(name, COLOURS[seen.size % COLOURS.length]);
    return seen.get(name);
  };
})();

const utc = (ms) => new Date(ms).toISOString().replace('T', ' ').slice(0, 23) + ' UTC';
const timeOnly = (ms) => new Date(ms).toISOString().slice(11, 23);
function inZone(ms, tz) {
  try {
    return new Intl.DateTimeFormat('en-GB', { timeZone: tz, weekday: 'short', day: 'numeric', month: 'short', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZoneName: 'short' }).format(ms);
  } catch {
    return utc(ms);
  }
}
function duration(ms) {
  if (ms < -1500) return `overdue by ${duration(-ms)}`;
  if (ms < 0) return 'due now';
  const s = Math.round(ms / 1000);
  if (s < 120) return `${(ms / 1000).toFixed(1)} s`;
  const d = Math.floor(s / 86400), h = Math.floor((s % 86400) / 3600), m = Math.floor((s % 3600) / 60);
  return d ? `${d} d ${h} h ${m} min` : h ? `${h} h ${m} min` : `${m} min ${s % 60} s`;
}
const esc = (t) => String(t).replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);
const now = () => Date.now() + skew;

async function poll() {
  try {
    const res = await fetch('api/state', { cache: 'no-store' });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    state = await res.json();
    skew = state.now - Date.now();
    $('status').dataset.state = 'open';
    $('status').textContent = `live · broker clock ${timeOnly(state.now)} UTC`;
    render();
  } catch (err) {
    $('status').dataset.state = 'closed';
    $('status').textContent = `reconnecting… (${err.message})`;
  } finally {
    setTimeout(poll, 1000);
  }
}

function render() {
  const { worker, counts, schedulers, reports } = state;
  $('worker').dataset.state = worker.state;
  $('worker').textContent = worker.state === 'running' ? `${worker.name} running` : worker.state === 'stopped' ? `${worker.name} stopped` : 'starting…';
  $('counts').textContent = `${counts.waiting} waiting, ${counts.active} active, ${counts.delayed} delayed, ${counts.completed} completed, ${counts.failed} failed`;
  $('no-schedulers').hidden = schedulers.length > 0;
  $('schedulers').querySelector('tbody').innerHTML = schedulers
    .map((s) => {
      const table = s.pattern ? `<code>${esc(s.pattern)}</code> in ${esc(s.tz ?? `the server's zone (${state.zone})`)}` : `every ${s.every / 1000} s`;
      const next = s.next ? `${esc(inZone(s.next, s.tz ?? 'UTC'))}<small>${esc(utc(s.next))}</small>` : '—';
      return `<tr data-id="${esc(s.id)}"><td><code>${esc(s.id)}</code><small>template from app-${esc(s.from ?? '?')}</small></td><td>${table}</td><td>${next}</td><td class="countdown" data-next="${s.next ?? ''}"></td></tr>`;
    })
    .join('');
  tick();
  renderInbox(reports);
  renderLateness(reports);
  renderTimeline();
  // The slider matters once there is a digest to slow down.
  $('slow').hidden = !schedulers.some((s) => s.name === 'digest') && !reports.some((r) => r.name === 'digest');
  const digest = Number(state.settings['work-ms:digest'] ?? 300) / 1000;
  if (document.activeElement !== $('digest-ms')) ($('digest-ms').value = String(digest)), ($('digest-out').textContent = digest.toFixed(1));
}

function tick() {
  for (const cell of document.querySelectorAll('.countdown')) cell.textContent = cell.dataset.next ? duration(Number(cell.dataset.next) - now()) : '';
}
setInterval(tick, 200);

function renderInbox(reports) {
  const seen = new Map();
  for (const r of reports) seen.set(`${r.name}@${r.due}`, (seen.get(`${r.name}@${r.due}`) ?? 0) + 1);
  $('inbox').innerHTML = reports
    .slice(-60)
    .reverse()
    .map((r) => {
      const dup = seen.get(`${r.name}@${r.due}`) > 1;
      return `<li class="${dup ? 'dup' : ''}" data-name="${esc(r.name)}" data-due="${r.due}"><code>${esc(r.name)}</code> due ${timeOnly(r.due)}, sent ${timeOnly(r.sent)} by ${esc(r.worker)} <small>(${esc(r.schedule)}, from app-${esc(r.from)})</small>${dup ? ' — a second report for the same firing' : ''}</li>`;
    })
    .join('');
}

function percentile(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
function renderLateness(reports) {
  const late = reports.map((r) => r.started - r.due).sort((a, b) => a - b);
  const el = $('lateness');
  el.dataset.firings = String(late.length);
  if (!late.length) return;
  el.textContent = `Lateness (started − due), measured here over ${late.length} reports: p50 ${percentile(late, 50)} ms, p99 ${percentile(late, 99)} ms, worst ${late[late.length - 1]} ms.`;
}

function renderTimeline() {
  const box = $('timeline');
  const width = Math.max(box.clientWidth, 200);
  const label = Math.min(110, width * 0.28);
  const rows = [...new Set([...state.schedulers.map((s) => s.id), ...state.reports.map((r) => r.schedule)])];
  const rowH = 26, top = 18, height = top + Math.max(rows.length, 1) * rowH + 4;
  const t1 = now() + AHEAD_MS, t0 = t1 - WINDOW_MS - AHEAD_MS;
  const x = (t) => label + ((t - t0) / (t1 - t0)) * (width - label - 6);
  const keep = selected >= 0 && marks[selected] ? marks[selected].key : null;
  marks = state.reports
    .filter((r) => r.started >= t0 && rows.includes(r.schedule))
    .sort((a, b) => a.started - b.started)
    .map((r) => ({ key: `${r.jobId}|${r.sent}`, r, row: rows.indexOf(r.schedule) }));
  selected = keep ? marks.findIndex((m) => m.key === keep) : -1;
  let svg = `<svg viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" aria-hidden="true">`;
  // Grid: a line every 10 s (20 or 30 s when narrow), labelled with the time.
  const pxPerMs = (width - label - 6) / (t1 - t0);
  const grid = [10_000, 20_000, 30_000].find((g) => g * pxPerMs >= 58) ?? 30_000;
  for (let t = Math.ceil(t0 / grid) * grid; t < t1; t += grid)
    svg += `<line x1="${x(t)}" x2="${x(t)}" y1="${top - 4}" y2="${height}" stroke="currentColor" stroke-opacity="0.12"/><text x="${x(t) + 2}" y="11" font-size="10" fill="currentColor" fill-opacity="0.6">${timeOnly(t).slice(0, 8)}</text>`;
  svg += `<line x1="${x(now())}" x2="${x(now())}" y1="${top - 4}" y2="${height}" stroke="#c55" stroke-opacity="0.6"/>`;
  rows.forEach((id, i) => {
    const y = top + i * rowH + rowH / 2;
    svg += `<text x="2" y="${y + 4}" font-size="11" fill="currentColor">${esc(id.length > 16 ? id.slice(0, 15) + '…' : id)}</text>`;
    svg += `<line x1="${label}" x2="${width - 6}" y1="${y}" y2="${y}" stroke="currentColor" stroke-opacity="0.15"/>`;
    const s = state.schedulers.find((s) => s.id === id);
    if (s?.next && s.next <= t1) svg += `<circle cx="${x(s.next)}" cy="${y}" r="4.5" fill="none" stroke="currentColor" stroke-opacity="0.6" stroke-dasharray="2 2"/>`;
  });
  marks.forEach((m, i) => {
    const y = top + m.row * rowH + rowH / 2;
    const colour = workerColour(m.r.worker);
    if (m.r.started - m.r.due > 50) svg += `<line x1="${x(Math.max(m.r.due, t0))}" x2="${x(m.r.started)}" y1="${y}" y2="${y}" stroke="${colour}" stroke-width="2" stroke-opacity="0.5"/><line x1="${x(m.r.due)}" x2="${x(m.r.due)}" y1="${y - 5}" y2="${y + 5}" stroke="${colour}"/>`;
    svg += `<circle cx="${x(m.r.started)}" cy="${y}" r="${i === selected ? 7 : 5}" fill="${colour}" stroke="${i === selected ? 'currentColor' : 'none'}" stroke-width="2"/>`;
  });
  svg += '</svg>';
  box.innerHTML = svg;
  box.dataset.marks = String(marks.length);
  box.onpointermove = (e) => {
    const rect = box.getBoundingClientRect();
    const px = e.clientX - rect.left, py = e.clientY - rect.top;
    let best = -1, bestD = 14 * 14;
    marks.forEach((m, i) => {
      const dx = x(m.r.started) - px, dy = top + m.row * rowH + rowH / 2 - py;
      if (dx * dx + dy * dy < bestD) (best = i), (bestD = dx * dx + dy * dy);
    });
    if (best >= 0 && best !== selected) select(best);
  };
  const legend = [...new Set(state.reports.map((r) => r.worker))];
  $('legend').innerHTML = legend.map((w) => `<span><i style="background:${workerColour(w)}"></i>${esc(w)}</span>`).join('');
  if (selected >= 0) describe(marks[selected]);
}

function describe(m) {
  const late = m.r.started - m.r.due;
  $('detail').textContent = `${m.r.schedule}: due ${timeOnly(m.r.due)}, started ${timeOnly(m.r.started)} (${late} ms late) by ${m.r.worker}, sent ${timeOnly(m.r.sent)} UTC`;
}
function select(i) {
  selected = i;
  renderTimeline();
}
$('timeline').addEventListener('keydown', (e) => {
  if (!marks.length) return;
  if (e.key === 'ArrowLeft') select(selected <= 0 ? marks.length - 1 : selected - 1);
  else if (e.key === 'ArrowRight') select(selected < 0 || selected >= marks.length - 1 ? (selected < 0 ? marks.length - 1 : 0) : selected + 1);
  else if (e.key === 'End') select(marks.length - 1);
  else if (e.key === 'Home') select(0);
  else return;
  e.preventDefault();
});
new ResizeObserver(() => state && renderTimeline()).observe($('timeline'));

async function post(path, body) {
  const res = await fetch(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  const answer = await res.json().catch(() => ({}));
  if (!res.ok) $('status').textContent = answer.error ?? `HTTP ${res.status}`;
}
$('stop').addEventListener('click', () => post('api/worker', { action: 'stop' }));
$('start').addEventListener('click', () => post('api/worker', { action: 'start' }));
$('digest-ms').addEventListener('input', (e) => ($('digest-out').textContent = Number(e.target.value).toFixed(1)));
$('digest-ms').addEventListener('change', (e) => post('api/work-ms', { name: 'digest', ms: Number(e.target.value) * 1000 }));

poll();
