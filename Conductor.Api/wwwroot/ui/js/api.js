// The console's only door to the API: every call carries the tab's token as a bearer header
// (no cookies, so no CSRF), says it comes from the web console, and turns problem+json into errors.

const KEY = 'conductor.token';

export const session = {
  get token() { return sessionStorage.getItem(KEY); },
  set token(value) { value ? sessionStorage.setItem(KEY, value) : sessionStorage.removeItem(KEY); },
  account: null,
  admin: false,
};

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `HTTP ${status}`);
    this.status = status;
    this.problem = problem ?? {};
  }
}

function headers(extra) {
  const h = { 'Accept': 'application/json', 'X-Conductor-Client': 'web', ...extra };
  if (session.token) h['Authorization'] = `Bearer ${session.token}`;
  return h;
}

export async function api(method, path, body) {
  const init = { method, headers: headers(body === undefined ? {} : { 'Content-Type': 'application/json' }), credentials: 'omit', cache: 'no-store' };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(path, init);
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = { detail: text }; }
  if (!response.ok) {
    if (response.status === 401 && path !== '/auth/whoami') window.dispatchEvent(new CustomEvent('conductor:unauthorized'));
    throw new ApiError(response.status, data);
  }
  return data;
}

export const get = (path) => api('GET', path);
export const post = (path, body) => api('POST', path, body ?? {});

/**
 * Follows a server-sent-event stream with the bearer header (EventSource cannot send one):
 * calls onEvent({event, id, data}) per event until the stream ends or signal aborts.
 */
export async function follow(path, onEvent, signal) {
  const response = await fetch(path, { headers: headers({ 'Accept': 'text/event-stream' }), credentials: 'omit', cache: 'no-store', signal });
  if (!response.ok || !response.body) throw new ApiError(response.status, null);
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value;
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = { event: 'message', id: null, data: [] };
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const val = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') event.event = val;
        else if (field === 'id') event.id = val;
        else if (field === 'data') event.data.push(val);
      }
      onEvent({ ...event, data: event.data.join('\n') });
    }
  }
}
