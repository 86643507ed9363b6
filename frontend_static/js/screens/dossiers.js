import { currentAccount, query } from '../api.js';
import { formatDate, prepareDates, t } from '../i18n.js';
import { DOSSIERS } from '../queries.js';
import { failure, h, notice, screen, showMore, staleNotice, statusChip } from '../ui.js';

const item = (d) => h('li', { class: 'card' },
  h('h2', {}, d.procedureName),
  h('p', { class: 'meta' }, statusChip(d.status, 'dstatus_'), ` ${d.code}${d.agency ? ` · ${d.agency.name}` : ''}`),
  h('p', { class: 'meta' }, `${t('received')}: ${formatDate(d.receivedAt, false)}`,
    d.dueAt ? ` · ${t('due')}: ${formatDate(d.dueAt, false)}${d.isOverdue ? ` (${t('overdue')})` : ''}` : '',
    d.completedAt ? ` · ${t('completed')}: ${formatDate(d.completedAt, false)}` : ''),
  d.history.length ? h('ol', { class: 'timeline' }, d.history.map((e) => h('li', {},
    h('strong', {}, t(`dstatus_${e.status}`)), ` · ${formatDate(e.occurredAt)}`, e.note ? h('p', {}, e.note) : ''))) : '');

export async function dossiers() {
  const main = screen(t('dossiersTitle'));
  if (!currentAccount()) {
    main.append(notice(t('needSignIn')), h('p', {}, h('a', { class: 'button', href: '/signin?next=/dossiers' }, t('signIn'))));
    return;
  }
  prepareDates();
  try {
    const { data, stale } = await query(DOSSIERS, { first: 20 }, { cache: 'me:dossiers' });
    const edges = data.viewer.dossiers.edges;
    main.append(staleNotice(stale) || '');
    if (!edges.length) { main.append(h('p', {}, t('noDossiers'))); return; }
    const list = h('ul', { class: 'list' }, edges.map(({ node }) => item(node)));
    main.append(list, showMore(list, data.viewer.dossiers.pageInfo, async (after) =>
      (await query(DOSSIERS, { first: 20, after })).data.viewer.dossiers, item));
  } catch (error) {
    main.append(failure(error, dossiers));
  }
}
