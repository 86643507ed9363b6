// Small DOM helpers: element builder, headings that take focus, error summary, status chips.
import { t } from './i18n.js';

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith('on')) el.addEventListener(name.slice(2), value);
    else if (name === 'text') el.textContent = value;
    else if (name === 'class') el.className = value;
    else el.setAttribute(name, value === true ? '' : value);
  }
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return el;
}

let uid = 0;
export const nextId = (prefix) => `${prefix}-${++uid}`;

export function announce(text) {
  const region = document.getElementById('announcer');
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50);
}

// A screen: clears <main>, sets the document title, puts focus on the heading so that a client-side
// navigation is announced. Not on the first screen of a page load: there the browser's own start applies.
let pageJustLoaded = true;
export function screen(title, { focus = true } = {}) {
  const main = document.getElementById('main');
  main.replaceChildren();
  document.title = `${title} · ${t('appName')}`;
  const heading = h('h1', { tabindex: '-1' }, title);
  main.append(heading);
  if (focus && !pageJustLoaded) heading.focus({ preventScroll: false });
  pageJustLoaded = false;
  return main;
}

export function notice(text, kind = '') {
  return h('p', { class: `notice ${kind}`, role: 'status' }, text);
}

export function staleNotice(stale) {
  return stale ? notice(t('offlineData')) : null;
}

export function failure(error, retry) {
  const byCode = { UNAUTHENTICATED: 'needSignIn', RATE_LIMITED: 'error_RATE_LIMITED' };
  const text = t((error && byCode[error.code]) || 'unavailable');
  return h('div', { class: 'notice', role: 'alert' }, h('p', {}, text),
    retry ? h('button', { type: 'button', class: 'secondary', onclick: retry }, t('retry')) : null);
}

const PENDING = new Set(['SUBMITTED', 'ASSIGNED']);
const DONE = new Set(['RESOLVED', 'CLOSED']);
export function statusChip(status, prefix = 'status_') {
  const kind = PENDING.has(status) ? 'pending' : DONE.has(status) ? 'done' : 'open';
  return h('span', { class: `status ${kind}` }, t(prefix + status));
}

// Field problems: each field gets aria-invalid + a message linked by aria-describedby; the summary above
// the form lists them as links to the fields and takes focus (WCAG 3.3.1).
export function showErrors(form, problems) {
  form.querySelectorAll('.field-error').forEach((el) => el.remove());
  form.querySelectorAll('[aria-invalid]').forEach((el) => {
    el.removeAttribute('aria-invalid');
    el.setAttribute('aria-describedby', (el.dataset.hintId || '').trim());
    if (!el.getAttribute('aria-describedby')) el.removeAttribute('aria-describedby');
  });
  const old = form.parentElement.querySelector('.error-summary');
  if (old) old.remove();
  if (!problems.length) return;
  const items = problems.map(({ input, message }) => {
    if (input) {
      const id = nextId('err');
      input.setAttribute('aria-invalid', 'true');
      input.setAttribute('aria-describedby', `${input.dataset.hintId || ''} ${id}`.trim());
      input.insertAdjacentElement('afterend', h('p', { id, class: 'field-error' }, message));
      return h('li', {}, h('a', { href: `#${input.id}`, onclick: (e) => { e.preventDefault(); input.focus(); } }, message));
    }
    return h('li', {}, message);
  });
  const summary = h('div', { class: 'error-summary', role: 'alert', tabindex: '-1' },
    h('h2', {}, t('errorSummary', { n: problems.length })), h('ul', {}, items));
  form.before(summary);
  summary.focus();
}

// A labelled field. `hint` is linked with aria-describedby.
export function field(label, control, hint) {
  control.id = control.id || nextId('f');
  const parts = [h('label', { for: control.id }, label)];
  if (hint) {
    const hintId = nextId('hint');
    control.dataset.hintId = hintId;
    control.setAttribute('aria-describedby', hintId);
    parts.push(h('span', { class: 'hint', id: hintId }, hint));
  }
  parts.push(control);
  return h('div', { class: 'field' }, parts);
}

// User errors of a payload mapped to the form's inputs by their path.
export function payloadProblems(form, errors) {
  // ["input", "location", "latitude"]: the innermost name that the form has a field for.
  return errors.map((error) => {
    const names = (error.field || []).slice().reverse();
    const found = names.map((name) => form.querySelector(`[name="${CSS.escape(name)}"]`)).find(Boolean);
    return { input: found || null, message: error.message };
  });
}

// "Show more" under a list of a connection: appends the next page (`next(after)` answers the connection)
// and stays while there is more. Focus goes to the first new item, where reading continues.
export function showMore(list, pageInfo, next, render) {
  const holder = h('div', { class: 'actions' });
  const offer = (info) => {
    if (!info || !info.hasNextPage) { holder.replaceChildren(); return; }
    const button = h('button', { type: 'button', class: 'secondary' }, t('loadMore'));
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const page = await next(info.endCursor);
        const items = page.edges.map(({ node }) => render(node));
        list.append(...items);
        offer(page.pageInfo);
        const first = items[0] && (items[0].querySelector('a[href]') || items[0]);
        if (first) {
          if (first === items[0]) first.setAttribute('tabindex', '-1');
          first.focus();
        }
        announce(t('moreShown', { n: items.length }));
      } catch (error) {
        holder.replaceChildren(failure(error, () => offer(info)));
      }
    });
    holder.replaceChildren(button);
  };
  offer(pageInfo);
  return holder;
}
