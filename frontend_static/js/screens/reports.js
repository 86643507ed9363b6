import { currentAccount, mutate, query } from '../api.js';
import { formatDate, formatNumber, t } from '../i18n.js';
import { frameAround, sketchMap } from '../map.js';
import { FEED_MAP, FEEDBACK, FEEDBACK_VIEWER, FOLLOW, MY_FEEDBACKS, PUBLIC_FEED, RATE, REOPEN, REPLY, SUPPORT, TRANSITION } from '../queries.js';
import { announce, failure, field, h, nextId, notice, payloadProblems, screen, showErrors, staleNotice, statusChip } from '../ui.js';
import { outboxList } from './report.js';

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
  const outboxSlot = h('div');
  const staleSlot = h('div');
  const list = h('ul', { class: 'list', id: 'my-reports' });
  main.append(outboxSlot, staleSlot, list);
  const show = async () => {
    const pendingList = await outboxList();
    outboxSlot.replaceChildren(pendingList || '');
    try {
      const { data, stale } = await query(MY_FEEDBACKS, { first: 20 }, { cache: 'me:feedbacks' });
      const edges = data.viewer ? data.viewer.feedbacks.edges : [];
      list.replaceChildren(...edges.map(({ node }) => card(node)));
      staleSlot.replaceChildren(staleNotice(stale) || '');
      if (!edges.length && !pendingList) list.replaceChildren(h('li', {}, t('noReports')));
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

export async function feed() {
  const main = screen(t('feedTitle'));
  const params = new URLSearchParams(location.search);
  const view = params.get('view') === 'map' ? 'map' : 'list';
  const status = h('select', { name: 'status' }, h('option', { value: '' }, t('allStatuses')),
    ['SUBMITTED', 'ASSIGNED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'].map((s) =>
      h('option', { value: s, selected: params.get('status') === s }, t(`status_${s}`))));
  const order = h('select', { name: 'order' }, ['NEWEST', 'MOST_SUPPORTED'].map((o) =>
    h('option', { value: o, selected: params.get('order') === o }, t(`order_${o}`))));
  const views = h('div', { class: 'actions', role: 'group', 'aria-label': t('feedTitle') },
    h('a', { class: `button ${view === 'list' ? '' : 'secondary'}`, href: '/feed', 'aria-current': view === 'list' ? 'page' : null }, t('listView')),
    h('a', { class: `button ${view === 'map' ? '' : 'secondary'}`, href: '/feed?view=map', 'aria-current': view === 'map' ? 'page' : null }, t('mapView')));
  const body = h('div', {}, h('p', {}, t('loading')));
  main.append(views, h('div', { class: 'row' }, field(t('statusFilter'), status), field(t('orderLabel'), order)), body);
  let after = null;
  let nodes = [];
  async function load(more = false) {
    const filter = status.value ? { status: [status.value] } : null;
    // The map asks for fewer fields per report, so that more reports fit in the hub's query cost limit.
    const [doc, variables] = view === 'map' ? [FEED_MAP, { filter, first: 50 }]
      : [PUBLIC_FEED, { filter, orderBy: order.value, first: 20, after: more ? after : null }];
    try {
      const { data, stale } = await query(doc, variables, { cache: more ? null : `feed:${status.value}:${order.value}:${view}` });
      const page = data.feedbacks;
      nodes = more ? nodes.concat(page.edges.map((e) => e.node)) : page.edges.map((e) => e.node);
      after = page.pageInfo ? page.pageInfo.endCursor : null;
      const parts = [staleNotice(stale) || ''];
      if (view === 'map' && nodes.length) {
        const points = nodes.map((n) => n.location);
        const { svg } = sketchMap({ frame: frameAround(points, null), points, label: t('mapSummary', { n: nodes.length }) });
        parts.push(svg, h('p', { class: 'hint' }, t('mapSummary', { n: formatNumber(nodes.length) })));
      }
      parts.push(h('ul', { class: 'list' }, nodes.map((node) => (view === 'map'
        ? h('li', { class: 'card' }, h('a', { class: 'title', href: `/reports/${encodeURIComponent(node.id)}` }, node.title),
          ' ', statusChip(node.status))
        : card(node)))));
      if (page.pageInfo && page.pageInfo.hasNextPage) {
        parts.push(h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: () => load(true) }, t('loadMore'))));
      }
      body.replaceChildren(...parts);
    } catch (error) {
      body.replaceChildren(failure(error, () => load(more)));
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

function toggle(labelOff, labelOn, pressed, action) {
  const button = h('button', { type: 'button', class: 'secondary', 'aria-pressed': String(pressed) }, pressed ? labelOn : labelOff);
  button.addEventListener('click', async () => {
    const next = button.getAttribute('aria-pressed') !== 'true';
    button.disabled = true;
    try {
      if (await action(next)) {
        button.setAttribute('aria-pressed', String(next));
        button.textContent = next ? labelOn : labelOff;
        announce(button.textContent);
      }
    } finally { button.disabled = false; }
  });
  return button;
}

function actionForm(legend, controls, submitLabel, run) {
  const button = h('button', { type: 'submit' }, submitLabel);
  const form = h('form', { novalidate: true, class: 'card' }, h('h3', {}, legend), controls, h('div', { class: 'actions' }, button));
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    button.disabled = true;
    try {
      const payload = await run(form);
      if (!payload) return;
      if (payload.errors.length) showErrors(form, payloadProblems(form, payload.errors));
      else { announce(t('done')); await detail(decodeURIComponent(location.pathname.split('/').pop()), { keepFocus: true }); }
    } catch (error) {
      showErrors(form, [{ input: null, message: error.message }]);
    } finally { button.disabled = false; }
  });
  return form;
}

const required = (form, input, label) => {
  if (input.value.trim()) return true;
  showErrors(form, [{ input, message: t('required', { field: label.toLowerCase() }) }]);
  return false;
};

export async function detail(id, { keepFocus = false } = {}) {
  let result;
  try {
    result = await query(FEEDBACK, { id }, { cache: `feedback:${id}` });
  } catch (error) {
    screen(t('feedTitle')).append(failure(error, () => detail(id)));
    return;
  }
  const f = result.data.node;
  if (!f) { screen(t('notFound')); return; }
  const main = screen(f.title, { focus: !keepFocus });
  const facts = [[t('reference'), f.referenceCode], [t('category'), f.category.name],
    [t('statusFilter'), statusChip(f.status)], [t('created'), formatDate(f.createdAt)],
    [t('agency'), f.assignedAgency ? f.assignedAgency.name : '—'],
    [t('due'), f.dueAt ? `${formatDate(f.dueAt)}${f.isOverdue ? ` (${t('overdue')})` : ''}` : '—'],
    [t('locationLegend'), [f.address || '', f.unit ? ` ${f.unit.name}` : ''].join('').trim() || `${formatNumber(f.location.latitude, 5)}, ${formatNumber(f.location.longitude, 5)}`]];
  main.append(staleNotice(result.stale) || '', h('p', {}, f.description),
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    f.photos.length ? h('div', { class: 'photos' }, f.photos.map((p, i) => h('a', { href: p.url },
      h('img', { src: p.thumbnailUrl, alt: t('photoOf', { n: i + 1 }), width: 96, height: 96, loading: 'lazy' })))) : '',
    h('p', {}, t('supporters', { n: formatNumber(f.supportCount) })));
  const account = currentAccount();
  const actions = h('div', { class: 'actions' });
  const timeline = h('section');
  main.append(actions, timeline);
  let viewerData = null;
  try {
    viewerData = (await query(FEEDBACK_VIEWER, { id }, { cache: account ? `me:feedback:${id}` : `feedback-tl:${id}` })).data.node;
  } catch { /* timeline not served yet */ }
  if (account && viewerData) {
    actions.append(
      toggle(t('support'), t('supported'), viewerData.viewerHasSupported, async (value) =>
        !(await mutate(SUPPORT, { input: { id, value } })).supportFeedback.errors.length),
      toggle(t('follow'), t('following'), viewerData.viewerIsFollowing, async (value) =>
        !(await mutate(FOLLOW, { input: { id, value } })).followFeedback.errors.length));
  }
  if (viewerData && viewerData.timeline) {
    timeline.setAttribute('aria-labelledby', 'tl-h');
    timeline.append(h('h2', { id: 'tl-h' }, t('timeline')), h('ol', { class: 'timeline' }, viewerData.timeline.map((e) => h('li', {},
      h('strong', {}, t(`kind_${e.kind}`)), e.status ? [' — ', statusChip(e.status)] : '',
      h('p', { class: 'meta' }, formatDate(e.createdAt), e.actor ? ` · ${e.actor.displayName}` : ''),
      e.message ? h('p', {}, e.message) : ''))));
  }
  if (!account) return;
  if (f.status === 'RESOLVED' && !f.rating) main.append(rateForm(id), reopenForm(id));
  if (f.rating) main.append(h('p', {}, t('rated', { n: f.rating })));
  if (account.role === 'CADRE' || account.role === 'ADMIN') main.append(...cadreForms(f));
}

function rateForm(id) {
  const name = nextId('rating');
  const stars = h('fieldset', { class: 'stars' }, h('legend', {}, t('rateLegend')), [1, 2, 3, 4, 5].map((n) => {
    const radio = h('input', { type: 'radio', name: 'rating', value: String(n), id: `${name}-${n}` });
    return h('label', { class: 'check', for: radio.id }, radio, t('rateStar', { n }));
  }));
  const comment = h('textarea', { name: 'comment' });
  return actionForm(t('rateLegend'), [stars, field(t('rateComment'), comment)], t('rateSend'), async (form) => {
    const chosen = form.querySelector('input[name="rating"]:checked');
    if (!chosen) { showErrors(form, [{ input: form.querySelector('input[name="rating"]'), message: t('required', { field: t('rateLegend').toLowerCase() }) }]); return null; }
    return (await mutate(RATE, { input: { id, rating: Number(chosen.value), comment: comment.value.trim() || null } })).rateFeedback;
  });
}

function reopenForm(id) {
  const reason = h('textarea', { name: 'reason', required: true });
  return actionForm(t('reopenSend'), [field(t('reopenLabel'), reason)], t('reopenSend'), async (form) => {
    if (!required(form, reason, t('reopenLabel'))) return null;
    return (await mutate(REOPEN, { input: { id, reason: reason.value.trim() } })).reopenFeedback;
  });
}

export function cadreForms(f) {
  const message = h('textarea', { name: 'message', required: true });
  const reply = actionForm(t('replyLabel'), [field(t('replyLabel'), message)], t('replySend'), async (form) => {
    if (!required(form, message, t('replyLabel'))) return null;
    return (await mutate(REPLY, { input: { id: f.id, message: message.value.trim() } })).replyToFeedback;
  });
  const status = h('select', { name: 'status' }, ['IN_PROGRESS', 'RESOLVED', 'REJECTED', 'CLOSED']
    .filter((s) => s !== f.status).map((s) => h('option', { value: s }, t(`status_${s}`))));
  const note = h('textarea', { name: 'note' });
  const move = actionForm(t('moveLabel'), [field(t('moveLabel'), status), field(t('moveMessage'), note)], t('moveSend'), async () =>
    (await mutate(TRANSITION, { input: { id: f.id, status: status.value, message: note.value.trim() || null, expectedVersion: f.version } })).transitionFeedback);
  return [move, reply];
}
