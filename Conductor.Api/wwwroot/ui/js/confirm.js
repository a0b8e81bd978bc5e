// One confirmation per action, in a modal <dialog> (focus stays inside, Escape says no).
import { h } from './dom.js';

export function confirmOnce(question, verb) {
  return new Promise((resolve) => {
    const yes = h('button', { type: 'button', class: 'danger', value: 'yes' }, verb);
    const no = h('button', { type: 'button', value: 'no' }, 'Keep it');
    const dialog = h('dialog', { 'aria-labelledby': 'confirm-text', class: 'confirm' },
      h('p', { id: 'confirm-text' }, question), h('div', { class: 'actions' }, yes, no));
    const done = (answer) => { dialog.close(); dialog.remove(); resolve(answer); };
    yes.addEventListener('click', () => done(true));
    no.addEventListener('click', () => done(false));
    dialog.addEventListener('cancel', (e) => { e.preventDefault(); done(false); });
    document.body.append(dialog);
    dialog.showModal();
    no.focus();
  });
}
