// The app: shell texts, client-side routing, session, outbox triggers, badge and live updates.
import {
  currentAccount, currentToken, onSessionChange, query, refresh, restoreSession, setRequestLanguage, tokenFresh,
} from './api.js';
import { kv } from './db.js';
import { announce } from './ui.js';
import { setLanguage, t, translateShell } from './i18n.js';
import { UNREAD_COUNT } from './queries.js';

const ROUTES = [
  [/^\/$/, 'home', 'home'],
  [/^\/services$/, 'services', 'search'],
  [/^\/services\/([^/]+)$/, 'services', 'procedure'],
  [/^\/report$/, 'report', 'report'],
  [/^\/my-reports$/, 'reports', 'mine'],
  [/^\/feed$/, 'reports', 'feed'],
  [/^\/reports\/([^/]+)$/, 'feedback', 'detail'],
  [/^\/notifications$/, 'notifications', 'inbox'],
  [/^\/dossiers$/, 'dossiers', 'dossiers'],
  [/^\/queue$/, 'cadre', 'queue'],
  [/^\/signin$/, 'account', 'signIn'],
  [/^\/register$/, 'account', 'register'],
  [/^\/me$/, 'account', 'me'],
  [/^\/settings$/, 'account', 'settings'],
];
const NAV = { home: 'home', services: 'services', report: 'report', notifications: 'notifications' };

let rendering = 0;
export async function render() {
  const path = location.pathname.replace(/\/+$/, '') || '/';
  const ticket = ++rendering;
  for (const [pattern, moduleName, fn] of ROUTES) {
    const match = path.match(pattern);
    if (!match) continue;
    markNav(moduleName === 'account' || moduleName === 'dossiers' || moduleName === 'cadre'
      || fn === 'mine' ? 'me' : NAV[moduleName]);
    const module = await import(`./screens/${moduleName}.js`);
    if (ticket !== rendering) return;
    await module[fn](...match.slice(1).map(decodeURIComponent));
    return;
  }
  const { notFound } = await import('./screens/home.js');
  notFound();
}

function markNav(active) {
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (link.dataset.nav === active) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

export function navigate(url, { replace = false } = {}) {
  if (replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.scrollTo(0, 0);
  return render();
}

document.addEventListener('click', (event) => {
  const link = event.target.closest('a[href]');
  if (!link || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
  const url = new URL(link.href, location.href);
  if (url.origin !== location.origin || link.target || link.hasAttribute('download') || url.pathname.startsWith('/media/')) return;
  if (url.pathname === location.pathname && url.hash) return;
  event.preventDefault();
  navigate(url.pathname + url.search);
});
window.addEventListener('popstate', render);

// ---------------------------------------------------------------- badge and live notifications
export function setBadge(count) {
  const badge = document.getElementById('badge');
  badge.hidden = !count;
  badge.textContent = count ? String(count) : '';
  const link = badge.closest('a');
  const label = count ? `${t('navNotifications')}, ${t('unreadBadge', { n: count })}` : null;
  if (label) link.setAttribute('aria-label', label); else link.removeAttribute('aria-label');
}

async function refreshBadge() {
  if (!currentToken()) { setBadge(0); return; }
  try {
    const { data } = await query(UNREAD_COUNT);
    setBadge(data.viewer ? data.viewer.unreadNotificationCount : 0);
  } catch { /* notifications may not be served yet: no badge */ }
}

let live = null;
function startLive() {
  if (live) live.stop();
  live = null;
  if (!currentToken()) return;
  import('./live.js').then(({ connectLive }) => {
    live = connectLive(currentToken, (notification) => {
      refreshBadge();
      announce(t('newNotification', { title: notification.title }));
      window.dispatchEvent(new CustomEvent('hub:notification', { detail: notification }));
    }, () => (tokenFresh() ? Promise.resolve(true) : refresh()));
  });
}

function showAccount(account) {
  const link = document.getElementById('account-link');
  link.textContent = account ? account.fullName : t('signIn');
  link.setAttribute('href', account ? '/me' : '/signin');
}

export async function applyLanguage(code) {
  setLanguage(code);
  setRequestLanguage(code);
  translateShell();
  showAccount(currentAccount());
  showNetwork();
}

function showNetwork() {
  document.getElementById('net').textContent = navigator.onLine ? '' : t('offline');
}

async function flushOutbox() {
  const { flush } = await import('./outbox.js');
  const sent = await flush().catch(() => []);
  if (sent.length) window.dispatchEvent(new CustomEvent('hub:outbox'));
}

// Links of the hub (Web Push, e-mail) point at #/<type>/<global id>: shown as the matching screen.
async function followHubLink() {
  if (!location.hash.startsWith('#/')) return false;
  const { screenForLink } = await import('./links.js');
  history.replaceState(null, '', screenForLink(location.href, location.origin));
  return true;
}

async function start() {
  // Without IndexedDB (some private modes) the app still runs: Vietnamese, signed out, nothing offline.
  await applyLanguage((await kv.get('language').catch(() => null)) || 'vi');
  onSessionChange((account) => showAccount(account));
  await followHubLink();
  window.addEventListener('hashchange', () => followHubLink().then((moved) => moved && render()));
  await restoreSession().catch(() => null); // quick for visitors; one refresh for a returning person
  showAccount(currentAccount());
  await render();
  if (currentToken()) {
    refreshBadge();
    startLive();
    flushOutbox();
  }
  window.addEventListener('online', () => { showNetwork(); flushOutbox(); if (live) live.reconnect(); });
  window.addEventListener('offline', showNetwork);
  window.addEventListener('hub:signed-in', () => { refreshBadge(); startLive(); flushOutbox(); });
  window.addEventListener('hub:signed-out', () => { setBadge(0); if (live) live.stop(); live = null; });
  window.addEventListener('hub:badge', refreshBadge);
  if ('BroadcastChannel' in window) { // the service worker (Background Sync) may send the outbox instead
    new BroadcastChannel('citizen-hub').addEventListener('message', (event) => {
      if (event.data.type === 'outbox') window.dispatchEvent(new CustomEvent('hub:outbox'));
    });
  }
  if ('serviceWorker' in navigator) {
    // Once the first screen is up and the page idle: installing the worker downloads the whole app shell,
    // which must not compete with the screen the person is waiting for on a cheap phone.
    const register = () => navigator.serviceWorker.register('/sw.js', { type: 'module', scope: '/' }).catch(() => {});
    const whenIdle = () => ('requestIdleCallback' in window ? requestIdleCallback(register, { timeout: 4000 }) : setTimeout(register, 1000));
    if (document.readyState === 'complete') setTimeout(whenIdle, 1000);
    else window.addEventListener('load', () => setTimeout(whenIdle, 1000), { once: true });
    navigator.serviceWorker.addEventListener('message', (event) => {
      if (event.data && event.data.type === 'navigate') navigate(event.data.url);
      if (event.data && event.data.type === 'flush-outbox') flushOutbox();
    });
  }
}

start();
