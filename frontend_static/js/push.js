// Web Push: asked only after the person sends a report or switches it on in Settings.
import { mutate, query } from './api.js';
import { kv } from './db.js';
import { PUSH_KEY, REGISTER_PUSH } from './queries.js';

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
  await kv.set('push', true);
  return 'on';
}

export async function disablePush() {
  await kv.set('push', false);
  if (!pushSupported()) return;
  const registration = await navigator.serviceWorker.getRegistration();
  const subscription = registration && await registration.pushManager.getSubscription();
  if (subscription) await subscription.unsubscribe();
}

// After a report: offer push once, when the person has not decided yet.
export async function offerPushAfterReport() {
  if (!pushSupported() || (await kv.get('push')) !== undefined || Notification.permission !== 'default') return;
  try { await enablePush(); } catch { /* the hub may not serve push yet */ }
}
