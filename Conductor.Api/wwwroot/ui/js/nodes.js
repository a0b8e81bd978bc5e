// Every node's cores: one square per core, coloured by the job holding it (its id as text and
// in the square's label for screen readers); free, held by another account, drained or down.
// A node with GPUs shows them in a second row the same way, with their model.
import { get } from './api.js';
import { h, replace, duration } from './dom.js';

export function nodesView(root) {
  let timer = null;
  let stopped = false;
  const list = h('div', { class: 'nodes', id: 'nodes' });
  replace(root, h('h1', {}, 'Nodes'),
    h('p', { class: 'legend' }, h('span', { class: 'core free' }), ' free ', h('span', { class: 'core held' }), ' held by a job ',
      h('span', { class: 'core other' }), ' held by another account'), list);

  async function refresh() {
    // A hidden tab asks nothing: a console left open in the background costs the API nothing.
    if (document.hidden) { timer = setTimeout(refresh, 3000); return; }
    try {
      const data = await get('/nodes/cores');
      if (stopped) return;
      replace(list, data.nodes.length ? data.nodes.map(node) : h('p', {}, 'No node has registered yet.'));
    } catch (e) {
      if (!stopped) replace(list, h('p', { class: 'error', role: 'alert' }, e.message));
    }
    if (!stopped) timer = setTimeout(refresh, 3000);
  }

  function node(n) {
    const used = n.cores.filter(c => c.held).length;
    const state = n.state.toLowerCase();
    return h('section', { class: `node node-${state}`, 'aria-label': `Node ${n.name}` },
      h('h2', {}, n.name, ' ', h('span', { class: `badge node-state-${state}` }, n.state)),
      h('p', { class: 'meta' }, `${n.partition} · ${used}/${n.cpus} cores · memory ${Math.round(n.memory_used_mb / 1024 * 10) / 10}/` +
        `${Math.round(n.memory_mb / 1024 * 10) / 10} GiB · heartbeat ${duration(n.heartbeat_age_seconds)} ago` +
        (n.drain_reason ? ` · drained: ${n.drain_reason}` : '')),
      h('ul', { class: 'cores', 'aria-label': `Cores of ${n.name}` }, n.cores.map(c => core(c, `core ${c.id}`))),
      n.gpus && n.gpus.length
        ? h('ul', { class: 'cores gpus', 'aria-label': `GPUs of ${n.name}` }, n.gpus.map(g => core(g, `GPU ${g.id} (${g.model})`)))
        : null);
  }

  function core(c, what) {
    if (!c.held) return h('li', { class: 'core free', title: `${what}: free` }, h('span', { class: 'sr' }, `${what} free`));
    if (!c.job_id) return h('li', { class: 'core other', title: `${what}: another account's job` }, h('span', { class: 'sr' }, `${what} held by another account`));
    const hue = (Number(c.job_id) * 47) % 360;
    return h('li', { class: 'core held', 'data-hue': hue % 12, title: `${what}: job ${c.job_id} ${c.job_name}` },
      h('a', { href: `#/job/${encodeURIComponent(c.job_id)}`, 'aria-label': `${what}: job ${c.job_id} ${c.job_name}` }, c.job_id));
  }

  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}
