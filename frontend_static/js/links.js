// The hub's links to a subject (Web Push messages carry them: <base>/#/<type>/<global id>) mapped to
// the screen that shows it.
export function screenForLink(link, origin) {
  let url;
  try { url = new URL(link || '/notifications', origin); } catch { return '/notifications'; }
  if (url.origin !== origin) return '/notifications';
  const match = url.hash.match(/^#\/(\w+)\/([^/?#]+)/);
  if (!match) return url.pathname === '/' ? '/notifications' : url.pathname + url.search;
  const [, type, rawId] = match;
  const id = decodeURIComponent(rawId).replace(/-/g, '+').replace(/_/g, '/');
  if (type === 'feedback') return `/reports/${encodeURIComponent(id)}`;
  if (type === 'dossier') return '/dossiers';
  return '/notifications';
}
