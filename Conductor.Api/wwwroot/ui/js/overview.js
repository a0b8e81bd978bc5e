// Jobs by state now, success rate and mean run time (GET /stats), throughput, queue depth and
// mean wait over the last hours (GET /stats/history), drawn with uPlot (vendor/uplot, MIT),
// loaded only when this page opens so the first page stays small.
import { get } from './api.js';
import { h, replace, duration } from './dom.js';

let loading = null;
function loadUplot() {
  if (window.uPlot) return Promise.resolve(window.uPlot);
  loading ??= new Promise((resolve, reject) => {
    document.head.append(h('link', { rel: 'stylesheet', href: 'vendor/uplot/uPlot.min.css' }));
    const script = h('script', { src: 'vendor/uplot/uPlot.iife.min.js' });
    script.addEventListener('load', () => resolve(window.uPlot));
    script.addEventListener('error', () => reject(new Error('chart library failed to load')));
    document.head.append(script);
  });
  return loading;
}

export function overviewView(root) {
  let timer = null;
  let stopped = false;
  const hours = h('select', { id: 'o-hours' }, [1, 6, 24, 168].map(n => h('option', { value: n, selected: n === 6 }, n === 168 ? '7 days' : `${n} h`)));
  const cards = h('div', { class: 'cards', id: 'cards' });
  const throughput = h('figure', { class: 'chart', id: 'chart-throughput' });
  const depth = h('figure', { class: 'chart', id: 'chart-depth' });
  replace(root, h('h1', {}, 'Overview'), cards,
    h('div', { class: 'field inline' }, h('label', { for: 'o-hours' }, 'Last'), hours),
    h('section', { 'aria-labelledby': 'h-tp' }, h('h2', { id: 'h-tp' }, 'Throughput (jobs per bucket)'), throughput),
    h('section', { 'aria-labelledby': 'h-qd' }, h('h2', { id: 'h-qd' }, 'Queue depth and mean wait'), depth));
  hours.addEventListener('change', refresh);

  async function refresh() {
    clearTimeout(timer);
    try {
      const [stats, history, uPlot] = await Promise.all([get(`/stats?window=${hours.value}h`),
        get(`/stats/history?hours=${hours.value}`), loadUplot()]);
      if (stopped) return;
      renderCards(stats);
      renderCharts(uPlot, history);
    } catch (e) {
      if (!stopped) replace(cards, h('p', { class: 'error', role: 'alert' }, e.message));
    }
    if (!stopped) timer = setTimeout(refresh, 15000);
  }

  function renderCards(s) {
    const card = (label, value) => h('div', { class: 'card' }, h('span', { class: 'value' }, value), h('span', { class: 'label' }, label));
    const states = Object.entries(s.jobs_by_state).map(([k, v]) => card(k, v));
    replace(cards, states,
      card(`success rate (${s.window})`, s.success_rate === null ? '—' : `${Math.round(s.success_rate * 1000) / 10} %`),
      card(`mean run (${s.window})`, s.mean_run_time_seconds === null ? '—' : duration(s.mean_run_time_seconds)),
      card('cores in use', `${s.cores.used}/${s.cores.total}`));
  }

  function renderCharts(uPlot, history) {
    const x = history.buckets.map(b => Date.parse(b.at) / 1000);
    const col = (k) => history.buckets.map(b => b[k]);
    const width = Math.max(320, Math.min(root.clientWidth - 20, 1100));
    const done = history.buckets.map(b => b.completed);
    draw(throughput, uPlot, { width, height: 220, series: [{}, { label: 'submitted', stroke: '#2563eb' },
      { label: 'completed', stroke: '#15803d' }, { label: 'failed', stroke: '#b91c1c' }, { label: 'cancelled', stroke: '#6b7280' }] },
    [x, col('submitted'), done, col('failed'), col('cancelled')], 'Jobs submitted, completed, failed and cancelled per bucket.');
    draw(depth, uPlot, { width, height: 220, series: [{}, { label: 'queue depth', stroke: '#7c3aed' },
      { label: 'mean wait (s)', stroke: '#d97706', scale: 's' }], axes: [{}, {}, { scale: 's', side: 1, grid: { show: false } }] },
    [x, col('queue_depth'), col('mean_wait_seconds')], 'Pending jobs at each bucket end, and the mean wait of jobs that started in it.');
  }

  function draw(figure, uPlot, opts, data, description) {
    figure.replaceChildren();
    figure.setAttribute('role', 'img');
    figure.setAttribute('aria-label', `${description} Latest: ${opts.series.slice(1).map((s, i) => `${s.label} ${data[i + 1].at(-1) ?? 0}`).join(', ')}.`);
    new uPlot(opts, data, figure);
  }

  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}
