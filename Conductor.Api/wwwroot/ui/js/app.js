// Sign-in and the hash router: #/queue, #/job/ID, #/nodes, #/overview, #/submit.
// Each view returns a function that stops its polling and streams when the user leaves it.
import { session, get, ApiError } from './api.js';
import { replace, announce } from './dom.js';
import { queueView } from './queue.js';
import { jobView } from './job.js';
import { nodesView } from './nodes.js';
import { overviewView } from './overview.js';
import { submitView } from './submit.js';

const $ = (id) => document.getElementById(id);
let stopView = null;

async function whoami() {
  const me = await get('/auth/whoami');
  session.account = me.account;
  session.admin = me.admin;
  $('who').textContent = `${me.account}${me.admin ? ' (admin)' : ''}`;
}

function showSignIn(message) {
  session.token = null;
  session.account = null;
  session.admin = false;
  stop();
  $('nav').hidden = true;
  $('sign-out').hidden = true;
  $('who').textContent = '';
  replace($('view'));
  $('sign-in').hidden = false;
  $('token-error').textContent = message ?? '';
  $('token').focus();
}

async function signIn(event) {
  event.preventDefault();
  const token = $('token').value.trim();
  if (!token) {
    $('token-error').textContent = 'Enter an API token.';
    return;
  }
  session.token = token;
  try {
    await whoami();
  } catch (e) {
    showSignIn(e instanceof ApiError && e.status === 401 ? 'That token is unknown or revoked.' : `Sign-in failed: ${e.message}`);
    return;
  }
  $('token').value = '';
  enter();
}

function enter() {
  $('sign-in').hidden = true;
  $('nav').hidden = false;
  $('sign-out').hidden = false;
  if (!location.hash || location.hash === '#/') location.hash = '#/queue';
  else route();
}

function stop() {
  if (stopView) stopView();
  stopView = null;
}

function route() {
  if (!session.token && !session.account) return;
  stop();
  const [, section, arg] = location.hash.split('/');
  for (const link of document.querySelectorAll('#nav a')) {
    if (link.dataset.section === section) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  const view = $('view');
  replace(view);
  const views = { queue: queueView, job: jobView, nodes: nodesView, overview: overviewView, submit: submitView };
  stopView = (views[section] ?? queueView)(view, arg);
  const heading = view.querySelector('h1');
  if (heading) { heading.tabIndex = -1; heading.focus(); }
}

async function start() {
  $('sign-in-form').addEventListener('submit', signIn);
  $('sign-out').addEventListener('click', () => { showSignIn('Signed out.'); announce('Signed out.'); });
  window.addEventListener('hashchange', route);
  window.addEventListener('conductor:unauthorized', () => showSignIn('The token was refused (revoked?). Sign in again.'));
  try {
    // A token from earlier in this tab, or none at all: an API without tokens on loopback serves anyone.
    await whoami();
    enter();
  } catch {
    showSignIn();
  }
}

start();
