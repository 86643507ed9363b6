// Cadres: their agency's queue, and the forms on a report's page (move along, reply, hand to another
// agency, mark as a duplicate of a nearby report).
import { currentAccount, mutate, query } from '../api.js';
import { prepareDates, t } from '../i18n.js';
import { AGENCIES, ASSIGN, NEARBY_REPORTS, QUEUE, REPLY, TRANSITION } from '../queries.js';
import { failure, field, h, notice, screen, showMore, staleNotice } from '../ui.js';
import { actionForm, required } from './feedback.js';
import { card } from './reports.js';

const OPEN = new Set(['SUBMITTED', 'ASSIGNED', 'IN_PROGRESS']);

// The queue: their agency's reports, oldest promises first as the hub orders them.
export async function queue() {
  const main = screen(t('queueTitle'));
  const account = currentAccount();
  if (!account || (account.role !== 'CADRE' && account.role !== 'ADMIN')) {
    main.append(notice(t('needSignIn')));
    return;
  }
  prepareDates();
  const status = h('select', { name: 'status' }, h('option', { value: '' }, t('allStatuses')),
    ['SUBMITTED', 'ASSIGNED', 'IN_PROGRESS', 'RESOLVED'].map((s) => h('option', { value: s }, t(`status_${s}`))));
  const body = h('div');
  main.append(field(t('statusFilter'), status), body);
  const load = async () => {
    try {
      const variables = { status: status.value ? [status.value] : null, first: 20 };
      const { data, stale } = await query(QUEUE, variables, { cache: `me:queue:${status.value}` });
      const page = data.viewer.assignedFeedbacks;
      const agency = data.viewer.account.agency;
      const list = h('ul', { class: 'list', id: 'queue' }, page.edges.map(({ node }) => card(node)));
      body.replaceChildren(staleNotice(stale) || '', agency ? h('p', { class: 'meta' }, agency.name) : '',
        page.edges.length ? list : h('p', {}, t('noQueue')),
        showMore(list, page.pageInfo, async (after) =>
          (await query(QUEUE, { ...variables, after })).data.viewer.assignedFeedbacks, card));
    } catch (error) {
      body.replaceChildren(failure(error, load));
    }
  };
  status.addEventListener('change', load);
  await load();
}

const choose = (label) => h('option', { value: '' }, label);

function reassignForm(f) {
  const agency = h('select', { name: 'agencyId', required: true }, choose(t('chooseAgency')));
  query(AGENCIES, {}, { cache: 'agencies' }).then(({ data }) => {
    for (const a of data.agencies) {
      if (!f.assignedAgency || a.id !== f.assignedAgency.id) agency.append(h('option', { value: a.id }, a.name));
    }
  }).catch(() => {});
  return actionForm(t('reassignLegend'), [field(t('agencyLabel'), agency)], t('reassignSend'), async (form) => {
    if (!required(form, agency, t('agencyLabel'))) return null;
    return (await mutate(ASSIGN, { input: { id: f.id, agencyId: agency.value, expectedVersion: f.version } })).assignFeedback;
  });
}

// The original is chosen among reports of the same category nearby (the hub refuses itself and duplicates).
function duplicateForm(f) {
  const original = h('select', { name: 'duplicateOfId', required: true }, choose(t('chooseOriginal')));
  const slot = h('div', {}, field(t('duplicateOfLabel'), original, t('duplicateHint')));
  const filter = { categoryId: f.category.id, near: f.location, radiusMeters: 1000,
    status: ['SUBMITTED', 'ASSIGNED', 'IN_PROGRESS', 'RESOLVED', 'CLOSED'] };
  query(NEARBY_REPORTS, { filter, first: 11 }).then(({ data }) => {
    const others = data.feedbacks.edges.map((e) => e.node).filter((n) => n.id !== f.id).slice(0, 10);
    if (!others.length) { slot.replaceChildren(h('p', { class: 'muted' }, t('noOriginal'))); return; }
    for (const n of others) original.append(h('option', { value: n.id }, `${n.referenceCode} · ${n.title} (${t(`status_${n.status}`)})`));
  }).catch(() => {});
  return actionForm(t('duplicateLegend'), [slot], t('duplicateSend'), async (form) => {
    if (!form.contains(original)) return null;
    if (!required(form, original, t('duplicateOfLabel'))) return null;
    return (await mutate(TRANSITION, { input: { id: f.id, status: 'DUPLICATE', duplicateOfId: original.value, expectedVersion: f.version } })).transitionFeedback;
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
  // Handing over and duplicates only make sense while the report is open.
  return OPEN.has(f.status) ? [move, reply, reassignForm(f), duplicateForm(f)] : [move, reply];
}
