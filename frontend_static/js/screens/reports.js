// Lists of reports: mine, and the public feed as a list or on the sketch map. A report's own page is
// screens/feedback.js (not loaded for a list).
import { currentAccount, query } from '../api.js';
import { formatDate, formatNumber, prepareDates, t } from '../i18n.js';
import { FEED_MAP, MY_FEEDBACKS, PUBLIC_FEED } from '../queries.js';
import { failure, field, h, notice, screen, showMore, staleNotice, statusChip } from '../ui.js';

export function card(node) {
  return h('li', { class: 'card' },
    h('a', { class: 'title', href: `/reports/${encodeURIComponent(node.id)}` }, node.title),
    h('p', { class: 'meta' }, statusChip(node.status), ' ', node.referenceCode, ' · ',
      node.category ? `${node.category.name} · ` : '', formatDate(node.createdAt),
      node.supportCount ? ` · ${t('supporters', { n: formatNumber(node.supportCount) })}` : ''));
}

export async function mine() {
  const main = screen(t('myReports'));
  if (!currentAccount()) {
    main.append(notice(t('needSignIn')), h('p', {}, h('a', { class: 'button', href: '/signin?next=/my-reports' }, t('signIn'))));
    return;
  }
  prepareDates();
  const outboxSlot = h('div');
  const staleSlot = h('div');
  const list = h('ul', { class: 'list', id: 'my-reports' });
  const moreSlot = h('div');
  main.append(outboxSlot, staleSlot, list, moreSlot);
  const show = async () => {
    const { outboxList } = await import('../outbox-view.js');
    const pendingList = await outboxList();
    outboxSlot.replaceChildren(pendingList || '');
    try {
      const { data, stale } = await query(MY_FEEDBACKS, { first: 20 }, { cache: 'me:feedbacks' });
      const page = data.viewer ? data.viewer.feedbacks : { edges: [], pageInfo: null };
      list.replaceChildren(...page.edges.map(({ node }) => card(node)));
      staleSlot.replaceChildren(staleNotice(stale) || '');
      moreSlot.replaceChildren(showMore(list, page.pageInfo, async (after) =>
        (await query(MY_FEEDBACKS, { first: 20, after })).data.viewer.feedbacks, card));
      if (!page.edges.length && !pendingList) list.replaceChildren(h('li', {}, t('noReports')));
    } catch (error) {
      list.replaceChildren(h('li', {}, failure(error, show)));
    }
  };
  await show();
  const refresh = () => {
    if (document.getElementById('my-reports') === list) show();
    else window.removeEventListener('hub:outbox', refresh);
  };
  window.addEventListener('hub:outbox', refresh);
}

function mapItem(node) {
  return h('li', { class: 'card' }, h('a', { class: 'title', href: `/reports/${encodeURIComponent(node.id)}` }, node.title),
    ' ', statusChip(node.status));
}

export async function feed() {
  const main = screen(t('feedTitle'));
  const params = new URLSearchParams(location.search);
  const view = params.get('view') === 'map' ? 'map' : 'list';
  if (view === 'list') prepareDates();
  const status = h('select', { name: 'status' }, h('option', { value: '' }, t('allStatuses')),
    ['SUBMITTED', 'ASSIGNED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'].map((s) =>
      h('option', { value: s, selected: params.get('status') === s }, t(`status_${s}`))));
  const order = h('select', { name: 'order' }, ['NEWEST', 'MOST_SUPPORTED'].map((o) =>
    h('option', { value: o, selected: params.get('order') === o }, t(`order_${o}`))));
  const views = h('div', { class: 'actions', role: 'group', 'aria-label': t('feedTitle') },
    h('a', { class: `button ${view === 'list' ? '' : 'secondary'}`, href: '/feed', 'aria-current': view === 'list' ? 'page' : null }, t('listView')),
    h('a', { class: `button ${view === 'map' ? '' : 'secondary'}`, href: '/feed?view=map', 'aria-current': view === 'map' ? 'page' : null }, t('mapView')));
  const body = h('div', {}, h('p', { class: 'muted placeholder' }, t('loading')));
  main.append(views, h('div', { class: 'row' }, field(t('statusFilter'), status), field(t('orderLabel'), order)), body);
  // The sketch map's code is only fetched for the map view; it comes while the hub answers.
  const mapModule = view === 'map' ? import('../map.js') : null;
  async function load() {
    const filter = status.value ? { status: [status.value] } : null;
    // The map asks for fewer fields per report, so that more reports fit in the hub's query cost limit.
    const [doc, variables] = view === 'map' ? [FEED_MAP, { filter, first: 50 }]
      : [PUBLIC_FEED, { filter, orderBy: order.value, first: 20 }];
    try {
      const { data, stale } = await query(doc, variables, { cache: `feed:${status.value}:${order.value}:${view}` });
      const page = data.feedbacks;
      const nodes = page.edges.map((e) => e.node);
      const parts = [staleNotice(stale) || ''];
      if (view === 'map' && nodes.length) {
        const { frameAround, sketchMap } = await mapModule;
        const points = nodes.map((n) => n.location);
        const { svg } = sketchMap({ frame: frameAround(points, null), points, label: t('mapSummary', { n: nodes.length }) });
        parts.push(svg, h('p', { class: 'hint' }, t('mapSummary', { n: formatNumber(nodes.length) })));
      }
      const list = h('ul', { class: 'list' }, nodes.map(view === 'map' ? mapItem : card));
      parts.push(list);
      if (view === 'list') {
        parts.push(showMore(list, page.pageInfo, async (after) =>
          (await query(PUBLIC_FEED, { ...variables, after })).data.feedbacks, card));
      }
      body.replaceChildren(...parts);
    } catch (error) {
      body.replaceChildren(failure(error, load));
    }
  }
  const reload = () => {
    const next = new URLSearchParams();
    if (view === 'map') next.set('view', 'map');
    if (status.value) next.set('status', status.value);
    if (order.value !== 'NEWEST') next.set('order', order.value);
    history.replaceState(null, '', `/feed${next.toString() ? `?${next}` : ''}`);
    load();
  };
  status.addEventListener('change', reload);
  order.addEventListener('change', reload);
  await load();
}
