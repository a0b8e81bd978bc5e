// One job: its fields, script, event timeline, live stdout/stderr and the actions the server
// offers (each asks once). Output lines are appended as text nodes as the stream delivers them.
import { get, post, follow } from './api.js';
import { h, replace, duration, time, stateBadge, announce } from './dom.js';
import { confirmOnce } from './confirm.js';

const TERMINAL = new Set(['COMPLETED', 'FAILED', 'CANCELLED']);
const ACTIONS = [
  { key: 'cancel', label: 'Cancel', path: (id) => `/jobs/cancel/${id}`, when: (j) => !TERMINAL.has(j.state) },
  { key: 'hold', label: 'Hold', path: (id) => `/jobs/${id}/hold`, when: (j) => j.state === 'PENDING' && j.reason !== 'Held' },
  { key: 'release', label: 'Release', path: (id) => `/jobs/${id}/release`, when: (j) => j.state === 'PENDING' && j.reason === 'Held' },
  { key: 'requeue', label: 'Requeue', path: (id) => `/jobs/${id}/requeue`, when: (j) => j.state === 'RUNNING' },
  { key: 'resubmit', label: 'Resubmit', path: (id) => `/jobs/resubmit/${id}`, when: (j) => TERMINAL.has(j.state) },
];

export function jobView(root, id) {
  const abort = new AbortController();
  let timer = null;
  let stopped = false;
  const title = h('h1', {}, `Job ${id}`);
  const fields = h('dl', { class: 'fields', id: 'job-fields' });
  const actions = h('div', { class: 'actions', role: 'group', 'aria-label': 'Actions' });
  const timeline = h('ol', { class: 'timeline', id: 'timeline' });
  const script = h('pre', { class: 'script', id: 'script', tabindex: 0, 'aria-label': 'Script' });
  const stdout = h('pre', { class: 'log', id: 'stdout', tabindex: 0, 'aria-label': 'Standard output', 'aria-live': 'off' });
  const stderr = h('pre', { class: 'log', id: 'stderr', tabindex: 0, 'aria-label': 'Standard error', 'aria-live': 'off' });
  const error = h('p', { class: 'error', role: 'alert' });

  replace(root, title, error,
    h('div', { class: 'job-grid' },
      h('section', { 'aria-labelledby': 'h-fields' }, h('h2', { id: 'h-fields' }, 'Details'), fields, actions),
      h('section', { 'aria-labelledby': 'h-events' }, h('h2', { id: 'h-events' }, 'Timeline'), timeline)),
    h('section', { 'aria-labelledby': 'h-script' }, h('h2', { id: 'h-script' }, 'Script'), script),
    h('section', { 'aria-labelledby': 'h-out' }, h('h2', { id: 'h-out' }, 'Output'),
      h('h3', {}, 'stdout'), stdout, h('h3', {}, 'stderr'), stderr));

  let current = null;
  async function refresh() {
    clearTimeout(timer);
    if (document.hidden) { timer = setTimeout(refresh, 2000); return; }
    try {
      const [job, events] = await Promise.all([get(`/jobs/query/${encodeURIComponent(id)}`), get(`/jobs/${encodeURIComponent(id)}/events`)]);
      if (stopped) return;
      error.textContent = '';
      const changed = current?.state !== job.state || current?.reason !== job.reason;
      current = job;
      renderFields(job);
      renderTimeline(events.events);
      if (changed) renderActions(job);
      if (TERMINAL.has(job.state)) return;
    } catch (e) {
      if (stopped) return;
      error.textContent = e.status === 404 ? `Job ${id} does not exist (or is not yours).` : e.message;
      if (e.status === 404) return;
    }
    if (!stopped) timer = setTimeout(refresh, 2000);
  }

  function renderFields(j) {
    const d = j.detail;
    const rows = [
      ['Name', d.job_name], ['State', stateBadge(j.state)], ['Reason', j.reason], ['Account', d.account], ['Partition', d.partition],
      ['Cores', `${d.allocated_cpus}${j.cpu_ids?.length ? ` (cores ${j.cpu_ids.join(', ')})` : ''}`], ['Node', d.node_list],
      ['Submitted', time(j.time.submit_time)], ['Started', time(j.time.start_time)], ['Ended', time(j.time.end_time)],
      ['Elapsed / limit', `${j.time.elapsed_time} / ${j.time.limit_time}`], ['Exit code', d.exit_code],
      ['Attempt', j.attempt], ['Priority', j.priority], ['Source', d.data_source], ['Error', j.error_msg ?? ''],
    ];
    for (const key of ['cpu_efficiency', 'memory_efficiency']) {
      const value = j[key] ?? j.conductor?.[key];
      if (value !== undefined && value !== null) rows.push([key === 'cpu_efficiency' ? 'CPU efficiency' : 'Memory efficiency', `${Math.round(value * 1000) / 10} %`]);
    }
    replace(fields, rows.flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, v ?? '')]));
    title.textContent = `Job ${j.job_id}: ${d.job_name}`;
  }

  function renderTimeline(events) {
    replace(timeline, events.map(e => h('li', {},
      h('time', { datetime: e.at }, time(e.at)), ' ',
      e.from ? `${e.from} → ` : '', stateBadge(e.to), e.reason ? ` ${e.reason}` : '', e.node ? ` on ${e.node}` : '')));
  }

  function renderActions(j) {
    const buttons = [];
    for (const action of ACTIONS) {
      if (!action.when(j)) continue;
      buttons.push(h('button', { type: 'button', 'data-action': action.key, onclick: () => act(action) }, action.label));
    }
    if (stopped) return;
    replace(actions, buttons);
  }

  async function act(action) {
    if (!(await confirmOnce(`${action.label} job ${id}?`, action.label))) return;
    try {
      const result = await post(action.path(encodeURIComponent(id)));
      announce(`${action.label}: done.`);
      if (action.key === 'resubmit' && result?.job_id) location.hash = `#/job/${result.job_id}`;
      else { current = null; refresh(); }
    } catch (e) {
      error.textContent = `${action.label} failed: ${e.message}`;
    }
  }

  async function stream(name, pre) {
    try {
      await follow(`/jobs/${encodeURIComponent(id)}/logs?stream=${name}&follow=true`, (e) => {
        if (e.event === 'message') pre.append(document.createTextNode(`${e.data}\n`));
        else if (e.event === 'withheld') pre.append(h('span', { class: 'note' }, `[${e.data}]\n`));
        else if (e.event === 'end') { pre.dataset.ended = 'true'; refresh(); }
        if (pre.scrollHeight - pre.scrollTop - pre.clientHeight < 80) pre.scrollTop = pre.scrollHeight;
      }, abort.signal);
    } catch (e) {
      if (!stopped && e.name !== 'AbortError') pre.append(h('span', { class: 'note' }, `[output unavailable: ${e.message}]\n`));
    }
  }

  get(`/jobs/${encodeURIComponent(id)}/script`).then(s => { if (!stopped) script.textContent = s.script; }).catch(() => { script.textContent = ''; });
  refresh();
  stream('stdout', stdout);
  stream('stderr', stderr);
  return () => { stopped = true; clearTimeout(timer); abort.abort(); };
}
