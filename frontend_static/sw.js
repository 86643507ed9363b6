// Service worker of the residents' PWA (a module worker; the hub writes the version and the file list in).
// - precaches the app shell, serves versioned assets cache-first and pages network-first with the shell
//   as the offline fallback; GraphQL is left to the app (its own offline cache in IndexedDB);
// - Background Sync 'outbox': sends the reports made offline;
// - push: shows the notification; a click opens the screen it is about.
import { flush } from '/assets/__VERSION__/js/outbox.js';
import { setRequestLanguage } from '/assets/__VERSION__/js/api.js';
import { kv } from '/assets/__VERSION__/js/db.js';
import { screenForLink } from '/assets/__VERSION__/js/links.js';

const VERSION = '__VERSION__';
const PRECACHE = __PRECACHE__;
const SHELL = `shell-${VERSION}`;
const MEDIA = 'media-v1';

self.addEventListener('install', (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(PRECACHE)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('shell-') && name !== SHELL) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

async function networkFirstPage(request) {
  try {
    const response = await fetch(request);
    if (response.ok) (await caches.open(SHELL)).put('/', response.clone());
    return response;
  } catch {
    return (await caches.match('/', { cacheName: SHELL })) || Response.error();
  }
}

async function cacheFirst(request, cacheName) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) (await caches.open(cacheName)).put(request, response.clone());
  return response;
}

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  if (request.method !== 'GET' || url.origin !== self.location.origin) return;
  if (request.mode === 'navigate') event.respondWith(networkFirstPage(request));
  else if (url.pathname.startsWith('/assets/')) event.respondWith(cacheFirst(request, SHELL));
  else if (url.pathname.startsWith('/media/')) event.respondWith(cacheFirst(request, MEDIA));
});

self.addEventListener('sync', (event) => {
  if (event.tag === 'outbox') {
    event.waitUntil((async () => {
      setRequestLanguage((await kv.get('language')) || 'vi');
      await flush();
    })());
  }
});

function screenFor(data) {
  return screenForLink(data.link || data.url || '', self.location.origin);
}

self.addEventListener('push', (event) => {
  let data = {};
  try { data = event.data ? event.data.json() : {}; } catch { data = { body: event.data.text() }; }
  const title = data.title || 'Cổng công dân';
  event.waitUntil(self.registration.showNotification(title, {
    body: data.body || '',
    icon: `/assets/${VERSION}/icons/icon-192.png`,
    badge: `/assets/${VERSION}/icons/favicon-32.png`,
    tag: data.id || data.link || undefined, // news about the same subject replaces the older one
    lang: 'vi',
    data: { url: screenFor(data) },
  }));
});

// The screen of a notification: an open window of the app is told to show it, then focused; else a new one.
async function openScreen(url) {
  const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
  const client = windows.find((c) => new URL(c.url).origin === self.location.origin);
  if (!client) return self.clients.openWindow(url);
  client.postMessage({ type: 'navigate', url });
  return client.focus().catch(() => client); // focusing needs the click's user activation; navigating does not
}

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  const url = (event.notification.data && event.notification.data.url) || '/notifications';
  const opening = openScreen(url);
  // A person's click is a trusted event; only those may extend the worker's life (tests dispatch their own).
  if (event.isTrusted) event.waitUntil(opening);
});
