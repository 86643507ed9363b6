// Reports made offline wait here (IndexedDB) and are sent later with their idempotency key, so a report
// is created exactly once however often sending is retried. Flushed on the online event, at app start
// and by Background Sync in the service worker; a Web Lock keeps two flushes from overlapping.
import { outbox } from './db.js';
import { currentAccount, currentToken, GraphQLError, mutateWithFiles, NetworkError, refresh } from './api.js';
import { SUBMIT_FEEDBACK } from './queries.js';

const channel = typeof BroadcastChannel !== 'undefined' ? new BroadcastChannel('citizen-hub') : null;
const changed = (detail) => channel && channel.postMessage({ type: 'outbox', ...detail });

export const pending = async () => {
  const account = currentAccount();
  return (await outbox.all()).filter((item) => !account || item.accountId === account.id);
};

export async function enqueue(input, photos, accountId) {
  await outbox.put({ key: input.idempotencyKey, input, photos, accountId, createdAt: new Date().toISOString() });
  changed({});
}

export function submitNow(input, photos) {
  const variables = { input: { ...input, photos: photos.length ? photos.map(() => null) : null } };
  const files = photos.map((blob, i) => [`input.photos.${i}`, blob, `photo-${i + 1}.jpg`]);
  return mutateWithFiles(SUBMIT_FEEDBACK, variables, files);
}

async function flushLocked() {
  const sent = [];
  if (!currentToken()) await refresh().catch(() => false);
  const account = currentAccount();
  if (!account || !currentToken()) return sent;
  for (const item of await outbox.all()) {
    if (item.accountId !== account.id) continue;
    try {
      const data = await submitNow(item.input, item.photos || []);
      const payload = data.submitFeedback;
      if (payload.errors.length) {
        await outbox.put({ ...item, errors: payload.errors }); // kept and shown: the person must fix it
      } else {
        await outbox.delete(item.key);
        sent.push(payload.feedback);
      }
    } catch (error) {
      if (error instanceof NetworkError) break; // still offline: try again at the next occasion
      if (!(error instanceof GraphQLError)) throw error;
      await outbox.put({ ...item, errors: [{ message: error.message, code: error.code }] });
    }
  }
  if (sent.length) changed({ sent });
  return sent;
}

export function flush() {
  return typeof navigator !== 'undefined' && navigator.locks
    ? navigator.locks.request('citizen-hub-outbox', flushLocked) : flushLocked();
}

export function onChange(fn) {
  if (channel) channel.addEventListener('message', (event) => { if (event.data.type === 'outbox') fn(event.data); });
}
