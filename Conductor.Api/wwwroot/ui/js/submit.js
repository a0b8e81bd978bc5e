// The submit form: the script and the common fields, sent as SCNS's submit body. Validation is
// the API's: each message from its problem+json goes next to the field it names.
import { post } from './api.js';
import { h, replace, announce } from './dom.js';

const FIELDS = [
  { name: 'name', label: 'Name', help: 'Default: job-<id>.' },
  { name: 'partition', label: 'Partition', placeholder: 'default' },
  { name: 'cpus_per_task', label: 'Cores', type: 'number', placeholder: '1', number: true },
  { name: 'memory_per_node', label: 'Memory', placeholder: '1G', help: '512M, 16G, 1T.' },
  { name: 'time_limit', label: 'Time limit', placeholder: 'UNLIMITED', help: '"30" = 30 min, "2:30" = 2 h 30 min, "1-00:00:00".' },
  { name: 'priority', label: 'Priority', type: 'number', placeholder: '5', number: true },
];

export function submitView(root) {
  const inputs = new Map();
  const errors = new Map();
  const summary = h('div', { class: 'error', id: 'submit-errors', role: 'alert' });
  const script = h('textarea', { id: 's-script', name: 'script', rows: 14, spellcheck: 'false', 'aria-describedby': 's-script-error', required: true },
    '#!/bin/bash\necho "hello from $SLURM_JOB_ID"\n');
  errors.set('script', h('p', { class: 'error field-error', id: 's-script-error' }));
  const rows = FIELDS.map(f => {
    const input = h('input', { id: `s-${f.name}`, name: f.name, type: f.type === 'number' ? 'text' : 'text', inputmode: f.number ? 'numeric' : null,
      placeholder: f.placeholder ?? '', autocomplete: 'off', 'aria-describedby': `s-${f.name}-help s-${f.name}-error` });
    inputs.set(f.name, input);
    errors.set(f.name, h('p', { class: 'error field-error', id: `s-${f.name}-error` }));
    return h('div', { class: 'field' }, h('label', { for: input.id }, f.label), input,
      h('p', { class: 'help', id: `s-${f.name}-help` }, f.help ?? ''), errors.get(f.name));
  });
  const button = h('button', { type: 'submit' }, 'Submit');
  const form = h('form', { id: 'submit-form', novalidate: true, onsubmit: submit },
    h('div', { class: 'form-grid' }, rows),
    h('div', { class: 'field' }, h('label', { for: 's-script' }, 'Script'), script, errors.get('script')),
    summary, button);
  replace(root, h('h1', {}, 'Submit a job'), form);

  function body() {
    const job = {};
    for (const f of FIELDS) {
      const value = inputs.get(f.name).value.trim();
      if (value === '') continue;
      // A number the API can read as one; anything else goes as typed, for the API to name.
      job[f.name] = f.number && /^-?\d+$/.test(value) ? Number(value) : value;
    }
    return { job, script: script.value };
  }

  function clearErrors() {
    summary.textContent = '';
    for (const [name, el] of errors) {
      el.textContent = '';
      (inputs.get(name) ?? script).removeAttribute('aria-invalid');
    }
  }

  async function submit(event) {
    event.preventDefault();
    clearErrors();
    button.disabled = true;
    try {
      const result = await post('/jobs/submit', body());
      announce(`Submitted job ${result.job_id}.`);
      location.hash = '#/queue';
    } catch (e) {
      showProblem(e);
    } finally {
      button.disabled = false;
    }
  }

  function showProblem(e) {
    summary.textContent = e.message;
    let first = null;
    for (const [key, messages] of Object.entries(e.problem?.errors ?? {})) {
      const name = key.replace(/^job\./, '');
      const el = errors.get(name);
      if (!el) continue;
      el.textContent = [].concat(messages).join(' ');
      const input = inputs.get(name) ?? script;
      input.setAttribute('aria-invalid', 'true');
      first ??= input;
    }
    (first ?? summary).focus?.();
  }
}
