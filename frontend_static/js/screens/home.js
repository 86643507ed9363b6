import { currentAccount, query } from '../api.js';
import { formatDate, t } from '../i18n.js';
import { ANNOUNCEMENTS } from '../queries.js';
import { h, screen, staleNotice } from '../ui.js';

export async function home() {
  const account = currentAccount();
  const main = screen(account ? `${t('homeTitle')}, ${account.fullName}` : t('homeTitle'), { focus: false });
  const links = [['/report', 'qaReport'], ['/services', 'qaServices'], ['/my-reports', 'qaMine'], ['/feed', 'qaFeed'],
    ['/dossiers', 'qaDossiers']];
  if (account && (account.role === 'CADRE' || account.role === 'ADMIN')) links.push(['/queue', 'qaQueue']);
  main.append(
    h('h2', {}, t('quickActions')),
    h('nav', { class: 'quick', 'aria-label': t('quickActions') }, links.map(([href, key]) => h('a', { href }, t(key)))),
    h('h2', { id: 'ann-h' }, t('homeAnnouncements')),
  );
  const section = h('section', { 'aria-labelledby': 'ann-h' }, h('p', { class: 'muted placeholder' }, t('loading')));
  main.append(section);
  try {
    const { data, stale } = await query(ANNOUNCEMENTS, { first: 10 }, { cache: 'announcements' });
    const items = data.announcements.edges.map(({ node }) => h('li', { class: `card sev-${node.severity}` },
      h('h3', {}, node.title),
      h('p', {}, node.body),
      h('p', { class: 'meta' }, [node.issuer ? node.issuer.name : '', ' · ', formatDate(node.publishedAt)]),
    ));
    section.replaceChildren(staleNotice(stale) || '',
      items.length ? h('ul', { class: 'list' }, items) : h('p', {}, t('noAnnouncements')));
  } catch {
    section.replaceChildren(h('p', {}, t('noAnnouncements')));
  }
}

export function notFound() {
  const main = screen(t('notFound'));
  main.append(h('p', {}, h('a', { href: '/' }, t('navHome'))));
}
