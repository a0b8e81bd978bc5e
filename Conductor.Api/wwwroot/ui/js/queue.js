// The queue: filters, search by id, cursor paging ([ and ] or the buttons), rows refreshed
// every two seconds in place (no reload), row changes announced politely.
import { get } from './api.js';
import { h, replace, duration, stateBadge, announce } from './dom.js';

const STATES = ['', 'PENDING', 'RUNNING', 'COMPLETED', 'FAILED', 'CANCELLED'];
const PAGE = 50;
const filters = { state: '', account: '', name: '', partition: '' };

function field(label, id, control) {
  return h('div', { class: 'field' }, h('label', { for: id }, label), control);
}

export function queueView(root) {
  let cursors = [null];          // cursor of each page visited; the last is the current page
  let timer = null;
  let stopped = false;
  const seen = new Map();        // job id -> state, to announce changes

  const state = h('select', { id: 'f-state', name: 'state' }, STATES.map(s => h('option', { value: s, selected: s === filters.state }, s || 'any')));
  const account = h('input', { id: 'f-account', name: 'account', value: filters.account, autocomplete: 'off' });
  const name = h('input', { id: 'f-name', name: 'name', value: filters.name, autocomplete: 'off' });
  const partition = h('input', { id: 'f-partition', name: 'partition', value: filters.partition, autocomplete: 'off' });
  const search = h('input', { id: 'f-id', name: 'id', inputmode: 'numeric', autocomplete: 'off', placeholder: 'job id' });
  const body = h('tbody');
  const caption = h('caption', {}, 'Jobs, newest first');
  const older = h('button', { type: 'button', 'aria-keyshortcuts': ']', onclick: () => page(+1) }, 'Older ›');
  const newer = h('button', { type: 'button', 'aria-keyshortcuts': '[', onclick: () => page(-1) }, '‹ Newer');
  const where = h('span', { class: 'page-no', 'aria-live': 'polite' });

  const filterForm = h('form', { class: 'filters', role: 'search', 'aria-label': 'Filter jobs', onsubmit: (e) => { e.preventDefault(); applyFilters(); } },
    field('State', 'f-state', state), session_account(account), field('Name', 'f-name', name), field('Partition', 'f-partition', partition),
    h('button', { type: 'submit' }, 'Filter'));
  const searchForm = h('form', { class: 'filters', role: 'search', 'aria-label': 'Open a job by id', onsubmit: (e) => {
    e.preventDefault();
    const id = search.value.trim();
    if (/^\d+$/.test(id)) location.hash = `#/job/${id}`;
    else announce('A job id is a number.');
  } }, field('Job id', 'f-id', search), h('button', { type: 'submit' }, 'Open'));

  replace(root,
    h('h1', {}, 'Queue'),
    h('div', { class: 'toolbar' }, filterForm, searchForm),
    h('table', { class: 'jobs', id: 'jobs' }, caption,
      h('thead', {}, h('tr', {}, ['Id', 'Name', 'State', 'Reason', 'Account', 'Partition', 'Cores', 'Elapsed', 'Node', 'Exit']
        .map(t => h('th', { scope: 'col' }, t)))), body),
    h('nav', { class: 'pager', 'aria-label': 'Pages' }, newer, where, older,
      h('span', { class: 'help' }, 'Keys: [ newer, ] older.')));
  state.addEventListener('change', applyFilters);

  function session_account(input) {
    return field('Account', 'f-account', input);
  }

  function applyFilters() {
    filters.state = state.value;
    filters.account = account.value.trim();
    filters.name = name.value.trim();
    filters.partition = partition.value.trim();
    cursors = [null];
    refresh();
  }

  function page(step) {
    if (step > 0 && older.disabled) return;
    if (step < 0 && cursors.length === 1) return;
    if (step > 0) cursors.push(older.dataset.next);
    else cursors.pop();
    refresh();
  }

  function onKey(e) {
    if (e.target instanceof HTMLInputElement || e.target instanceof HTMLSelectElement || e.target instanceof HTMLTextAreaElement) return;
    if (e.key === ']') page(+1);
    else if (e.key === '[') page(-1);
  }
  document.addEventListener('keydown', onKey);

  async function refresh() {
    // A hidden tab asks nothing: a console left open in the background costs the API nothing.
    clearTimeout(timer);
    if (document.hidden) { timer = setTimeout(refresh, 2000); return; }
    const query = new URLSearchParams({ limit: String(PAGE) });
    for (const key of ['state', 'account', 'name']) if (filters[key]) query.set(key, filters[key]);
    const cursor = cursors[cursors.length - 1];
    if (cursor) query.set('cursor', cursor);
    try {
      const data = await get(`/jobs?${query}`);
      if (stopped) return;
      render(data);
    } catch (e) {
      if (stopped) return;
      replace(body, h('tr', {}, h('td', { colspan: 10, class: 'error', role: 'alert' }, e.message)));
    }
    if (!stopped) timer = setTimeout(refresh, 2000);
  }

  function render(data) {
    const jobs = data.jobs.filter(j => !filters.partition || j.partition === filters.partition);
    const changed = [];
    replace(body, jobs.length === 0 ? h('tr', {}, h('td', { colspan: 10 }, 'No jobs.')) : jobs.map(row));
    for (const j of jobs) {
      if (seen.has(j.job_id) && seen.get(j.job_id) !== j.state) changed.push(`Job ${j.job_id} is ${j.state}.`);
      seen.set(j.job_id, j.state);
    }
    if (changed.length) announce(changed.slice(0, 3).join(' '));
    older.disabled = !data.next_cursor;
    older.dataset.next = data.next_cursor ?? '';
    newer.disabled = cursors.length === 1;
    where.textContent = `Page ${cursors.length}`;
  }

  function row(j) {
    const start = j.start_time ? new Date(j.start_time) : null;
    const end = j.end_time ? new Date(j.end_time) : new Date();
    return h('tr', { 'data-job': j.job_id, 'data-state': j.state },
      h('td', {}, h('a', { href: `#/job/${encodeURIComponent(j.job_id)}` }, j.job_id)),
      h('td', { class: 'name' }, j.name),
      h('td', {}, stateBadge(j.state, j.hold ? `held by ${j.hold}` : null)),
      h('td', {}, j.reason),
      h('td', {}, j.account),
      h('td', {}, j.partition),
      h('td', { class: 'num' }, j.cpus),
      h('td', { class: 'num' }, start ? duration((end - start) / 1000) : ''),
      h('td', {}, j.node ?? ''),
      h('td', {}, j.exit_code));
  }

  refresh();
  return () => { stopped = true; clearTimeout(timer); document.removeEventListener('keydown', onKey); };
}
