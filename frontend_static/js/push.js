// Web Push: asked only after the person sends a report or switches it on in Settings.
import { currentAccount, mutate, query } from './api.js';
import { kv } from './db.js';
import { PUSH_KEY, REGISTER_PUSH, UNREGISTER_PUSH } from './queries.js';

// The endpoint registered with the hub, kept so that it can still be unregistered when the browser no longer
// hands out its subscription (permission withdrawn, subscription expired or dropped by the push service).
const ENDPOINT = 'pushEndpoint';

export const pushSupported = () => 'serviceWorker' in navigator && 'PushManager' in window && 'Notification' in window;

function keyBytes(base64url) {
  const base64 = (base64url + '='.repeat((4 - (base64url.length % 4)) % 4)).replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

const b64 = (buffer) => btoa(String.fromCharCode(...new Uint8Array(buffer)))
  .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

// Returns 'on', 'denied' or 'unsupported'.
export async function enablePush() {
  if (!pushSupported()) return 'unsupported';
  const permission = await Notification.requestPermission();
  if (permission !== 'granted') return 'denied';
  const { data } = await query(PUSH_KEY);
  const registration = await navigator.serviceWorker.ready;
  const subscription = await registration.pushManager.getSubscription()
    || await registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: keyBytes(data.webPushPublicKey) });
  const result = await mutate(REGISTER_PUSH, { input: {
    endpoint: subscription.endpoint, p256dh: b64(subscription.getKey('p256dh')), auth: b64(subscription.getKey('auth')),
  } });
  if (result.registerPushSubscription.errors.length) throw new Error(result.registerPushSubscription.errors[0].message);
  await kv.set(ENDPOINT, subscription.endpoint);
  await kv.set('push', true);
  return 'on';
}

// Push off (Settings, sign-out): the browser's subscription ends first, which holds offline too (the push
// service then refuses the hub's next message and the hub forgets the endpoint); then the hub is told at once
// for the signed-in account. Throws when the hub could not be told; the endpoint stays remembered for a retry.
// At sign-out the choice is forgotten rather than turned off: the next person is offered push as anyone is.
export async function disablePush({ signingOut = false } = {}) {
  await (signingOut ? kv.delete('push') : kv.set('push', false));
  const endpoints = new Set([await kv.get(ENDPOINT)].filter(Boolean));
  if (pushSupported()) {
    const registration = await navigator.serviceWorker.getRegistration();
    const subscription = registration && await registration.pushManager.getSubscription();
    if (subscription) {
      endpoints.add(subscription.endpoint);
      await subscription.unsubscribe();
    }
  }
  if (currentAccount()) {
    for (const endpoint of endpoints) {
      const result = await mutate(UNREGISTER_PUSH, { input: { endpoint } });
      if (!result.unregisterPushSubscription.ok) throw new Error(result.unregisterPushSubscription.errors[0].message);
    }
  }
  await kv.delete(ENDPOINT);
}

// After a report: offer push once, when the person has not decided yet.
export async function offerPushAfterReport() {
  if (!pushSupported() || (await kv.get('push')) !== undefined || Notification.permission !== 'default') return;
  try { await enablePush(); } catch { /* the hub may not serve push yet */ }
}
