// GraphQL over fetch, the session, and the offline read cache. Used by the pages and the service worker.
//
// Tokens: the access token lives only in memory (it never reaches storage, a URL or a cookie). The refresh
// token is kept in this origin's IndexedDB: the same-origin policy keeps other origins from reading it, no
// cookie exists for a cross-site request to carry (so no CSRF), and the strict CSP (no inline or foreign
// script) narrows XSS, the one way left to reach it. Refresh tokens work once: a Web Lock serialises
// rotation between tabs and the service worker so two of them never spend the same one.
import { kv } from './db.js';
import { REFRESH } from './queries.js';

let accessToken = null;
let account = null;
let language = 'vi';
let refreshing = null;
const listeners = new Set();

export class GraphQLError extends Error {
  constructor(message, code) { super(message); this.code = code; }
}
export class NetworkError extends Error {}

export const currentAccount = () => account;
export const currentToken = () => accessToken;

// True while the access token has more than a minute left (its `exp` claim; the signature is the hub's business).
export function tokenFresh() {
  if (!accessToken) return false;
  try {
    const claims = JSON.parse(atob(accessToken.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return claims.exp * 1000 > Date.now() + 60000;
  } catch { return false; }
}
export const setRequestLanguage = (code) => { language = code; };
export const onSessionChange = (fn) => listeners.add(fn);

function notify() { for (const fn of listeners) fn(account); }

export async function restoreSession() {
  account = (await kv.get('account')) || null;
  notify();
  if (account) await refresh().catch(() => false);
  return account;
}

export async function startSession(payload) {
  accessToken = payload.accessToken;
  account = payload.account;
  await kv.set('refreshToken', payload.refreshToken);
  await kv.set('account', account);
  notify();
}

export async function endSession() {
  const keys = await kv.keys();
  await Promise.all(keys.filter((k) => k === 'refreshToken' || k === 'account' || String(k).startsWith('me:'))
    .map((k) => kv.delete(k)));
  accessToken = null;
  account = null;
  notify();
}

async function doRefresh() {
  const stored = await kv.get('refreshToken');
  if (!stored) return false;
  const body = await post({ query: REFRESH, variables: { input: { refreshToken: stored } } }, null);
  const payload = body.data && body.data.refreshToken;
  if (payload && payload.accessToken) {
    await kv.set('refreshToken', payload.refreshToken);
    await kv.set('account', payload.account);
    accessToken = payload.accessToken;
    account = payload.account;
    notify();
    return true;
  }
  if (payload && payload.errors.length) await endSession(); // revoked or expired: sign in again
  return false;
}

export function refresh() {
  if (!refreshing) {
    const run = () => doRefresh();
    const locked = typeof navigator !== 'undefined' && navigator.locks
      ? navigator.locks.request('citizen-hub-refresh', run) : run();
    refreshing = locked.finally(() => { refreshing = null; });
  }
  return refreshing;
}

async function post(body, token, form = null) {
  const headers = { 'accept-language': language, accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  let response;
  try {
    if (form) {
      headers['graphql-require-preflight'] = '1'; // the hub refuses multipart without it (CSRF)
      response = await fetch('/graphql', { method: 'POST', headers, body: form, credentials: 'omit' });
    } else {
      headers['content-type'] = 'application/json';
      response = await fetch('/graphql', { method: 'POST', headers, body: JSON.stringify(body), credentials: 'omit' });
    }
  } catch (error) {
    throw new NetworkError(String(error));
  }
  if (response.status === 401) return { unauthenticated: true };
  let json;
  try { json = await response.json(); } catch { throw new NetworkError(`HTTP ${response.status}`); }
  return json;
}

async function send(query, variables, form) {
  const body = { query, variables };
  if (accessToken && !tokenFresh()) await refresh().catch(() => false); // spares the round trip of a 401
  let json = await post(body, accessToken, form && form());
  if (json.unauthenticated) {
    accessToken = null;
    await refresh();
    json = await post(body, accessToken, form && form());
    if (json.unauthenticated) throw new GraphQLError('Unauthenticated', 'UNAUTHENTICATED');
  }
  if (json.errors && json.errors.length) {
    const first = json.errors[0];
    throw new GraphQLError(first.message, (first.extensions && first.extensions.code) || 'ERROR');
  }
  return json.data;
}

function cacheName(key) {
  if (!key) return null;
  if (key.startsWith('me:')) return account ? `me:${account.id}:${key.slice(3)}` : null;
  return `pub:${language}:${key}`;
}

// A read: fresh from the hub, else (offline or the hub unreachable) what the last visit saw.
export async function query(doc, variables = {}, { cache } = {}) {
  const name = cacheName(cache);
  try {
    const data = await send(doc, variables);
    if (name) kv.set(name, data).catch(() => {});
    return { data, stale: false };
  } catch (error) {
    if (error instanceof NetworkError && name) {
      const data = await kv.get(name);
      if (data) return { data, stale: true };
    }
    throw error;
  }
}

export const mutate = (doc, variables) => send(doc, variables);

// GraphQL multipart request spec: operations, map, then the files. `files`: [[variablePath, blob, filename]].
export function mutateWithFiles(doc, variables, files) {
  const form = () => {
    const data = new FormData();
    data.append('operations', JSON.stringify({ query: doc, variables }));
    data.append('map', JSON.stringify(Object.fromEntries(files.map(([path], i) => [String(i), [`variables.${path}`]]))));
    files.forEach(([, blob, filename], i) => data.append(String(i), blob, filename));
    return data;
  };
  return send(doc, variables, files.length ? form : null);
}
