// IndexedDB of this origin: 'kv' (session, settings, cached reads) and 'outbox' (reports waiting to send).
// Shared by the pages and the service worker, which is why it uses nothing but IndexedDB.
const NAME = 'citizen-hub';
let opening = null;

function open() {
  if (!opening) {
    opening = new Promise((resolve, reject) => {
      const request = indexedDB.open(NAME, 1);
      request.onupgradeneeded = () => {
        const db = request.result;
        db.createObjectStore('kv');
        db.createObjectStore('outbox', { keyPath: 'key' });
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => { opening = null; reject(request.error); };
    });
  }
  return opening;
}

async function run(store, mode, action) {
  const db = await open();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(store, mode);
    const result = action(tx.objectStore(store));
    tx.oncomplete = () => resolve(result && 'result' in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

export const kv = {
  get: (key) => run('kv', 'readonly', (s) => s.get(key)),
  set: (key, value) => run('kv', 'readwrite', (s) => s.put(value, key)),
  delete: (key) => run('kv', 'readwrite', (s) => s.delete(key)),
  keys: () => run('kv', 'readonly', (s) => s.getAllKeys()),
};

export const outbox = {
  all: () => run('outbox', 'readonly', (s) => s.getAll()),
  put: (item) => run('outbox', 'readwrite', (s) => s.put(item)),
  delete: (key) => run('outbox', 'readwrite', (s) => s.delete(key)),
};
