// A report's page: facts, photos, timeline; support and follow; rate or reopen once resolved. Cadres get
// their forms from screens/cadre.js (not loaded for residents).
import { currentAccount, mutate, query } from '../api.js';
import { formatDate, formatNumber, prepareDates, t } from '../i18n.js';
import { FEEDBACK, FEEDBACK_VIEWER, FOLLOW, RATE, REOPEN, SUPPORT } from '../queries.js';
import { announce, failure, field, h, nextId, payloadProblems, screen, showErrors, staleNotice, statusChip } from '../ui.js';

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

// A form acting on the report: its payload's errors go to the fields; on success the page is shown again.
export function actionForm(legend, controls, submitLabel, run) {
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

export const required = (form, input, label) => {
  if (input.value.trim()) return true;
  const key = input.tagName === 'SELECT' ? 'requiredChoice' : 'required';
  showErrors(form, [{ input, message: t(key, { field: label.toLowerCase() }) }]);
  return false;
};

export async function detail(id, { keepFocus = false } = {}) {
  prepareDates();
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
  const isCadre = account && (account.role === 'CADRE' || account.role === 'ADMIN');
  const cadreModule = isCadre ? import('./cadre.js') : null; // fetched while the timeline loads
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
  if (isCadre) main.append(...(await cadreModule).cadreForms(f));
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
