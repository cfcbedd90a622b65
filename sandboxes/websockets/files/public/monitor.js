// A live chart of this instance's monitoring feed (/ws/monitor), drawn with uPlot.
import { socketUrl } from './chat.js';

const WINDOW_S = 60;

export function startMonitor(container, { height = 160, compact = false, onInstance } = {}) {
  const figures = document.createElement('p');
  figures.className = 'figures';
  figures.textContent = 'waiting for the first sample…';
  const plot = document.createElement('div');
  container.append(figures, plot);
  // uPlot wants columns: x (seconds), then one array per series.
  const data = [[], [], []];
  let chart = null;
  let samples = 0;

  function draw() {
    const width = Math.max(120, container.clientWidth - 8);
    if (!chart) {
      chart = new uPlot(
        {
          width,
          height,
          legend: { show: !compact },
          scales: { x: { time: true }, rate: { auto: true, range: (_u, _min, max) => [0, Math.max(5, max)] } },
          // Compact (a short pane): the figures line above names the series; no axis titles.
          axes: compact ? [{}, { size: 30 }, { side: 1, scale: 'rate', size: 30, grid: { show: false } }] : [{}, { label: 'clients' }, { side: 1, scale: 'rate', label: 'msg/s', grid: { show: false } }],
          series: [
            {},
            { label: 'clients', stroke: '#c2410c', width: 2 },
            { label: 'messages/s', stroke: '#2563eb', width: 2, scale: 'rate' },
          ],
        },
        data,
        plot,
      );
      new ResizeObserver(() => chart.setSize({ width: Math.max(120, container.clientWidth - 8), height })).observe(container);
    } else chart.setData(data);
  }

  function add(sample) {
    data[0].push(sample.at / 1000);
    data[1].push(sample.clients);
    data[2].push(sample.messagesPerSecond);
    while (data[0].length && data[0][0] < sample.at / 1000 - WINDOW_S) data.forEach((column) => column.shift());
    samples++;
    container.dataset.samples = String(samples);
    figures.textContent = `instance ${sample.instance}: ${sample.clients} connected · ${sample.rooms} room${sample.rooms === 1 ? '' : 's'} · ${sample.messagesPerSecond} messages/s · heap ${sample.heapUsedMB} MB`;
    onInstance?.(sample.instance);
  }

  let attempt = 0;
  function connect() {
    const socket = new WebSocket(socketUrl('ws/monitor'));
    socket.addEventListener('message', (e) => {
      const message = JSON.parse(e.data);
      attempt = 0;
      if (message.type === 'history') message.samples.forEach(add);
      else if (message.type === 'sample') add(message.sample);
      draw();
    });
    socket.addEventListener('close', () => {
      figures.textContent = 'monitor disconnected; reconnecting…';
      setTimeout(connect, Math.min(10_000, 500 * 2 ** attempt++));
    });
  }
  connect();
}
