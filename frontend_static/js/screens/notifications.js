import { currentAccount, mutate, query } from '../api.js';
import { setBadge } from '../app.js';
import { formatDate, prepareDates, t } from '../i18n.js';
import { MARK_READ, NOTIFICATIONS } from '../queries.js';
import { failure, h, notice, screen, showMore, staleNotice } from '../ui.js';

function target(n) {
  const subject = n.subject || {};
  if (subject.__typename === 'Feedback') return `/reports/${encodeURIComponent(subject.id)}`;
  if (subject.__typename === 'Dossier') return '/dossiers';
  return null;
}

function item(n) {
  const href = target(n);
  return h('li', { class: `card ${n.readAt ? '' : 'unread'}` },
    h('h3', {}, href ? h('a', { href }, n.title) : n.title),
    h('p', {}, n.body),
    h('p', { class: 'meta' }, formatDate(n.createdAt)));
}

export async function inbox() {
  const main = screen(t('notificationsTitle'));
  if (!currentAccount()) {
    main.append(notice(t('needSignIn')), h('p', {}, h('a', { class: 'button', href: '/signin?next=/notifications' }, t('signIn'))));
    return;
  }
  prepareDates();
  const list = h('ul', { class: 'list', id: 'inbox' });
  const markAll = h('button', { type: 'button', class: 'secondary' }, t('markAllRead'));
  main.append(h('div', { class: 'actions' }, markAll), list);
  try {
    const { data, stale } = await query(NOTIFICATIONS, { first: 20 }, { cache: 'me:notifications' });
    const edges = data.viewer.notifications.edges;
    list.before(staleNotice(stale) || '');
    list.replaceChildren(...(edges.length ? edges.map(({ node }) => item(node)) : [h('li', { id: 'inbox-empty' }, t('noNotifications'))]));
    list.after(showMore(list, data.viewer.notifications.pageInfo, async (after) =>
      (await query(NOTIFICATIONS, { first: 20, after })).data.viewer.notifications, item));
    setBadge(data.viewer.unreadNotificationCount);
  } catch (error) {
    list.replaceChildren(h('li', {}, failure(error, inbox)));
    markAll.hidden = true;
    return;
  }
  markAll.addEventListener('click', async () => {
    const answer = await mutate(MARK_READ, { input: { ids: null } });
    setBadge(answer.markNotificationsRead.unreadCount);
    list.querySelectorAll('.unread').forEach((el) => el.classList.remove('unread'));
  });
  // Live: a notification arriving while the inbox is open goes on top.
  const onLive = (event) => {
    if (!document.body.contains(list)) { window.removeEventListener('hub:notification', onLive); return; }
    const empty = document.getElementById('inbox-empty');
    if (empty) empty.remove();
    list.prepend(item(event.detail));
  };
  window.addEventListener('hub:notification', onLive);
}
