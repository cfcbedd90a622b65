// The page: the live occupancy chart and gauges (server-sent events from /api/events), and the
// experiments behind the buttons. Plain JavaScript, served as it is.
const $ = (id) => document.getElementById(id);
const COLOURS = { hash: 'var(--hash)', io: 'var(--io)', tiny: 'var(--tiny)' };
const WINDOW_MS = 6000;
// Two significant digits under 1 ms: on a fast machine a pooled task costs hundredths of a ms.
const fmt = (ms) => (ms >= 10 ? String(Math.round(ms)) : ms >= 1 ? ms.toFixed(1) : ms >= 0.001 ? ms.toPrecision(2) : '< 0.001') + ' ms';
let info = { cores: 1, computeMs: 5 };
let bars = [];
let total = 0;
let selected = -1;
let serverClock = 0; // the server's Date.now() minus ours, so bars line up with "now"

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

// ---- live view ------------------------------------------------------------------------------
function connect() {
  const source = new EventSource('api/events');
  source.onopen = () => { $('status').dataset.state = 'open'; $('status').textContent = 'live'; };
  source.onerror = () => { $('status').dataset.state = 'closed'; $('status').textContent = 'reconnecting…'; };
  source.onmessage = (e) => {
    const s = JSON.parse(e.data);
    info = s;
    serverClock = s.now - Date.now();
    $('machine').textContent = `${s.cores} cores · CPU pool ${s.pools.cpu.size} threads · I/O pool ${s.pools.io.size} threads · MAX_QUEUE ${s.maxQueue}`;
    const w = $('workers');
    w.hidden = s.workers.ok || s.workers.why.startsWith('still');
    w.textContent = s.workers.ok ? '' : `Worker threads cannot start in this runtime (${s.workers.why}). The pool charts stay empty here; the lesson's text and pictures still stand, and the course run locally (npm start) has them.`;
    $('queues').textContent = `queued: cpu ${s.pools.cpu.queued}, io ${s.pools.io.queued} · running: cpu ${s.pools.cpu.running}, io ${s.pools.io.running}`;
    const max = Math.round(s.loop.max);
    $('loop-meter').value = Math.min(200, max);
    const text = $('loop-text');
    text.textContent = `${max} ms`;
    text.dataset.max = String(Math.max(Number(text.dataset.max), max));
    if (s.bars.length) {
      total += s.bars.length;
      bars = bars.concat(s.bars).slice(-600);
    }
    drawOccupancy();
  };
}

function rowsOf(list) {
  const order = { main: 0, cpu: 1, io: 2 };
  const keys = [...new Set(list.map((b) => `${b.pool}:${b.threadId}`))];
  return keys.sort((a, b) => {
    const [pa, ta] = a.split(':');
    const [pb, tb] = b.split(':');
    return (order[pa] ?? 3) - (order[pb] ?? 3) || Number(ta) - Number(tb);
  });
}

function drawOccupancy() {
  const now = Date.now() + serverClock;
  const visible = bars.filter((b) => b.ended > now - WINDOW_MS);
  const rows = rowsOf(visible);
  const el = $('occupancy');
  el.dataset.bars = String(total);
  el.setAttribute('aria-label', `Pool occupancy: ${visible.length} tasks on ${rows.length} threads in the last 6 seconds`);
  const width = el.clientWidth || 600;
  const label = 70;
  const rowH = 14;
  const height = Math.max(30, rows.length * rowH + 18);
  const x = (t) => label + ((t - (now - WINDOW_MS)) / WINDOW_MS) * (width - label - 4);
  let svg = `<svg viewBox="0 0 ${width} ${height}" height="${height}" aria-hidden="true">`;
  rows.forEach((key, i) => {
    const [pool, id] = key.split(':');
    svg += `<text x="2" y="${i * rowH + 11}">${pool === 'main' ? 'main thread' : `${pool} #${id}`}</text>`;
  });
  visible.forEach((b, i) => {
    const row = rows.indexOf(`${b.pool}:${b.threadId}`);
    const x0 = Math.max(label, x(b.started));
    const x1 = Math.max(x0 + 1, x(b.ended));
    const colour = b.pool === 'main' ? 'var(--main)' : COLOURS[b.kind];
    const sel = bars.indexOf(b) === selected ? ' class="sel"' : '';
    if (b.kind === 'io') {
      // Computing, then waiting: the wait drawn lighter.
      const xc = Math.min(x1, x0 + Math.max(1, (b.computeMs / WINDOW_MS) * (width - label - 4)));
      svg += `<rect x="${x0}" y="${row * rowH + 2}" width="${xc - x0}" height="${rowH - 4}" fill="${colour}"${sel}/>`;
      svg += `<rect x="${xc}" y="${row * rowH + 2}" width="${x1 - xc}" height="${rowH - 4}" fill="${colour}" opacity="0.35"/>`;
    } else svg += `<rect x="${x0}" y="${row * rowH + 2}" width="${x1 - x0}" height="${rowH - 4}" fill="${colour}"${sel}/>`;
    void i;
  });
  svg += `<line class="axis" x1="${label}" x2="${width}" y1="${height - 14}" y2="${height - 14}"/><text x="${label}" y="${height - 2}">6 s ago</text><text x="${width - 30}" y="${height - 2}">now</text></svg>`;
  el.innerHTML = svg;
}

$('occupancy').addEventListener('keydown', (e) => {
  if (!bars.length || !['ArrowLeft', 'ArrowRight', 'Home', 'End'].includes(e.key)) return;
  e.preventDefault();
  if (e.key === 'Home') selected = 0;
  else if (e.key === 'End' || selected < 0) selected = bars.length - 1;
  else selected = Math.max(0, Math.min(bars.length - 1, selected + (e.key === 'ArrowRight' ? 1 : -1)));
  const b = bars[selected];
  const where = b.pool === 'main' ? 'the main thread' : `${b.pool} pool, thread #${b.threadId}`;
  $('bar-detail').textContent = `${b.kind} task on ${where}: ${fmt(b.ended - b.started)} (${fmt(b.computeMs)} computing), ended ${new Date(b.ended).toISOString().slice(11, 23)} UTC`;
  drawOccupancy();
});

async function requests(what, count, send) {
  const t = performance.now();
  const answers = await Promise.all(Array.from({ length: count }, () => send().then(async (r) => ({ status: r.status, body: r.ok ? await r.json() : null }), () => ({ status: 0 }))));
  const ok = answers.filter((a) => a.status === 200);
  const compute = ok.map((a) => a.body.computeMs).sort((a, b) => a - b);
  const el = $('requests');
  el.dataset.computeMs = compute.length ? String(compute[Math.floor(compute.length / 2)]) : '';
  el.textContent = `${count} ${what}: ${ok.length} answered 200 in ${fmt(performance.now() - t)}${compute.length ? `, median ${fmt(compute[Math.floor(compute.length / 2)])} computing each` : ''}${ok.length < count ? `, ${count - ok.length} did not` : ''}`;
}
$('hash8').onclick = () => requests('hashes', 8, () => fetch('api/hash', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ password: 'hunter2' }) }));
$('io50').onclick = () => requests('io requests', 50, () => fetch('api/io'));

async function getJson(url) {
  const res = await fetch(url);
  const body = await res.json();
  if (!res.ok) throw new Error(body.error || res.status);
  return body;
}

// ---- a thread per task, or a pool -------------------------------------------------------------
$('compare-run').onclick = async (e) => {
  const button = e.currentTarget;
  button.disabled = true;
  const table = $('compare');
  table.querySelector('tbody').innerHTML = '<tr><td colspan="2">running…</td></tr>';
  table.hidden = false;
  try {
    const r = await getJson('api/compare?n=200');
    const rows = [
      ['a new Worker for each task', r.newThread.msPerTask],
      [`your pool (${r.pool.threads.length} thread${r.pool.threads.length === 1 ? '' : 's'} used)`, r.pool.msPerTask],
      ['piscina', r.piscina.msPerTask],
    ];
    table.querySelector('tbody').innerHTML = rows.map(([how, ms]) => `<tr><td>${how}</td><td>${ms === undefined ? r.piscina.error : fmt(ms)}</td></tr>`).join('');
    table.dataset.done = 'yes';
  } catch (err) {
    table.querySelector('tbody').innerHTML = `<tr><td colspan="2">${err.message}</td></tr>`;
  } finally {
    button.disabled = false;
  }
};

// ---- libuv's pool -----------------------------------------------------------------------------
$('uv-run').onclick = async (e) => {
  const button = e.currentTarget;
  button.disabled = true;
  $('uv-text').textContent = 'running…';
  try {
    const r = await getJson(`api/libuv?size=${$('uv-size').value}`);
    drawLibuv(r);
  } catch (err) {
    $('uv-text').textContent = err.message;
  } finally {
    button.disabled = false;
  }
};

function drawLibuv(r) {
  const el = $('uv');
  const width = el.clientWidth || 600;
  const end = Math.max(...r.calls.map((c) => c.ended));
  const label = 50;
  const rowH = 16;
  const height = r.calls.length * rowH + 18;
  const x = (t) => label + (t / end) * (width - label - 6);
  const calls = [...r.calls].sort((a, b) => a.ended - b.ended);
  let svg = `<svg viewBox="0 0 ${width} ${height}" height="${height}" role="img" aria-label="Eight pbkdf2 calls with UV_THREADPOOL_SIZE ${r.size}: they finish at ${calls.map((c) => Math.round(c.ended)).join(', ')} ms">`;
  calls.forEach((c, i) => {
    // Running for about as long as one call alone (or longer when calls share cores), waiting before that.
    const run = Math.min(c.ended, r.aloneMs);
    svg += `<text x="2" y="${i * rowH + 12}">call ${c.i + 1}</text>`;
    svg += `<rect x="${x(0)}" y="${i * rowH + 3}" width="${x(c.ended - run) - x(0)}" height="${rowH - 6}" fill="var(--hash)" opacity="0.25"/>`;
    svg += `<rect x="${x(c.ended - run)}" y="${i * rowH + 3}" width="${Math.max(1, x(c.ended) - x(c.ended - run))}" height="${rowH - 6}" fill="var(--hash)"/>`;
  });
  svg += `<text x="${label}" y="${height - 2}">0</text><text x="${width - 60}" y="${height - 2}">${Math.round(end)} ms</text></svg>`;
  el.innerHTML = svg;
  el.dataset.calls = String(r.calls.length);
  el.dataset.size = String(r.size);
  $('uv-text').textContent = `UV_THREADPOOL_SIZE=${r.size}: one call alone takes ${fmt(r.aloneMs)}; the eight, submitted together, finished at ${calls.map((c) => fmt(c.ended)).join(', ')}. Pale: waiting for a thread (estimated as everything before the last ${fmt(r.aloneMs)}).`;
}

// ---- sizing ---------------------------------------------------------------------------------
const ratio = $('ratio');
const showRatio = () => {
  $('ratio-out').value = ratio.value;
  $('wait-ms').textContent = String(Number(ratio.value) * (info.computeMs || 5));
};
ratio.oninput = showRatio;
showRatio();
let plot;
function drawSizing(points, predicted, rule) {
  const el = $('sizing-chart');
  el.dataset.points = String(points.length);
  const data = [points.map((p) => p.size), points.map((p) => p.throughput), predicted, points.map((p) => p.p95)];
  const opts = {
    width: Math.max(280, el.clientWidth || 600),
    height: 260,
    title: `Throughput and p95 by pool size (rule: ${rule} threads)`,
    scales: { x: { time: false, distr: 3, log: 2 }, ms: {} },
    axes: [{ label: 'threads' }, { label: 'tasks/s' }, { scale: 'ms', side: 1, label: 'p95 ms', grid: { show: false } }],
    series: [
      { label: 'threads' },
      { label: 'measured tasks/s', stroke: '#3a7bd5', width: 2, points: { show: true } },
      { label: "rule's tasks/s", stroke: '#888', dash: [6, 4], width: 1.5 },
      { label: 'p95 ms', scale: 'ms', stroke: '#d9822b', width: 1.5, points: { show: true } },
    ],
  };
  if (plot) plot.destroy();
  plot = new uPlot(opts, data, el);
}

$('sizing-run').onclick = async (e) => {
  const button = e.currentTarget;
  button.disabled = true;
  ratio.disabled = true;
  const r = Number(ratio.value);
  const cores = info.cores || 1;
  const sizes = [...new Set([1, Math.ceil(cores / 2), cores, 2 * cores, 4 * cores, 8 * cores, 16 * cores])].filter((s) => s <= 64).sort((a, b) => a - b);
  const points = [];
  const table = $('sizing-table');
  table.hidden = false;
  const body = table.querySelector('tbody');
  body.innerHTML = '';
  try {
    for (const size of sizes) {
      $('sizing-progress').textContent = `measuring ${size} thread${size === 1 ? '' : 's'}…`;
      points.push(await getJson(`api/experiment?size=${size}&ratio=${r}&ms=1000`));
      // One chart per wait/compute and pool size: the class's machines side by side.
      report(`sizing-wait${r}-threads${size}`, `Pool sizing, wait/compute ${r}: ${size} thread${size === 1 ? '' : 's'}`, Math.round(points[points.length - 1].throughput), 'tasks/s');
      // The rule, with the compute time measured on one thread: a pool of N finishes N tasks
      // per (compute + wait), until the cores are all busy computing.
      const c = points[0].computeMs;
      const w = r * (info.computeMs || 5);
      const predicted = points.map((p) => Math.min(p.size / (c + w), cores / c) * 1000);
      const rule = Math.round(cores * (1 + w / c));
      drawSizing(points, predicted, rule);
      body.innerHTML = points.map((p, i) => `<tr><td>${p.size}</td><td>${p.throughput.toFixed(0)}</td><td>${fmt(p.p95)}</td><td>${p.concurrency}</td><td>${predicted[i].toFixed(0)}</td></tr>`).join('');
    }
    $('sizing-progress').textContent = `done: wait/compute ${r}, ${cores} cores`;
  } catch (err) {
    $('sizing-progress').textContent = err.message;
  } finally {
    button.disabled = false;
    ratio.disabled = false;
  }
};

// ---- a flood ----------------------------------------------------------------------------------
$('flood-run').onclick = async (e) => {
  const button = e.currentTarget;
  button.disabled = true;
  $('flood').textContent = 'sending…';
  try {
    const r = await getJson('api/flood?n=1500');
    $('flood').textContent = `${r.sent} requests, 400 at a time: ${r.ok} answered 200, ${r.rejected} answered 503${r.retryAfter ? ` with Retry-After: ${r.retryAfter}` : ''}${r.other ? `, ${r.other} failed otherwise` : ''}; the I/O queue peaked at ${r.peakQueued}.`;
    $('flood').dataset.done = 'yes';
  } catch (err) {
    $('flood').textContent = err.message;
  } finally {
    button.disabled = false;
  }
};

connect();
