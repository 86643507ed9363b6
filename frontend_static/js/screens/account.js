import { currentAccount, endSession, mutate, startSession, GraphQLError } from '../api.js';
import { applyLanguage, navigate } from '../app.js';
import { kv } from '../db.js';
import { lang, t } from '../i18n.js';
import { LOGIN, LOGOUT, REGISTER } from '../queries.js';
import { announce, field, h, notice, payloadProblems, screen, showErrors } from '../ui.js';

function nextUrl() {
  const next = new URLSearchParams(location.search).get('next') || '/';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/';
}

function requireFilled(form, inputs) {
  return inputs.filter(([input]) => !input.value.trim())
    .map(([input, label]) => ({ input, message: t('required', { field: label.toLowerCase() }) }));
}

async function authenticate(form, doc, input, key) {
  const button = form.querySelector('button[type="submit"]');
  button.disabled = true;
  try {
    const data = await mutate(doc, { input });
    const payload = data[key];
    if (payload.errors.length) {
      showErrors(form, payloadProblems(form, payload.errors)); // messages come in the request's language
      return;
    }
    await startSession(payload);
    window.dispatchEvent(new CustomEvent('hub:signed-in'));
    const language = payload.account.language === 'EN' ? 'en' : 'vi';
    if (language !== lang() && !(await kv.get('language'))) await applyLanguage(language);
    navigate(nextUrl(), { replace: true });
  } catch (error) {
    const message = error instanceof GraphQLError && t(`error_${error.code}`) !== `error_${error.code}`
      ? t(`error_${error.code}`) : t('networkError');
    showErrors(form, [{ input: null, message }]);
  } finally {
    button.disabled = false;
  }
}

export function signIn() {
  const main = screen(t('signInTitle'));
  const phone = h('input', { name: 'phone', type: 'tel', autocomplete: 'tel', inputmode: 'tel', required: true });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h('form', { novalidate: true }, field(t('phoneLabel'), phone), field(t('passwordLabel'), password),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('signIn'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const missing = requireFilled(form, [[phone, t('phoneLabel')], [password, t('passwordLabel')]]);
    if (missing.length) { showErrors(form, missing); return; }
    authenticate(form, LOGIN, { phone: phone.value.trim(), password: password.value }, 'login');
  });
  main.append(form, h('p', {}, `${t('noAccount')} `, h('a', { href: `/register${location.search}` }, t('register'))));
}

export function register() {
  const main = screen(t('registerTitle'));
  const fullName = h('input', { name: 'fullName', autocomplete: 'name', required: true });
  const phone = h('input', { name: 'phone', type: 'tel', autocomplete: 'tel', inputmode: 'tel', required: true });
  const email = h('input', { name: 'email', type: 'email', autocomplete: 'email' });
  const password = h('input', { name: 'password', type: 'password', autocomplete: 'new-password', required: true });
  const form = h('form', { novalidate: true }, field(t('fullNameLabel'), fullName), field(t('phoneLabel'), phone),
    field(t('emailLabel'), email), field(t('passwordLabel'), password, t('passwordHint')),
    h('div', { class: 'actions' }, h('button', { type: 'submit' }, t('register'))));
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const missing = requireFilled(form, [[fullName, t('fullNameLabel')], [phone, t('phoneLabel')], [password, t('passwordLabel')]]);
    if (missing.length) { showErrors(form, missing); return; }
    authenticate(form, REGISTER, {
      fullName: fullName.value.trim(), phone: phone.value.trim(), password: password.value,
      email: email.value.trim() || null, language: lang() === 'en' ? 'EN' : 'VI',
    }, 'register');
  });
  main.append(form, h('p', {}, `${t('haveAccount')} `, h('a', { href: `/signin${location.search}` }, t('signIn'))));
}

export function me() {
  const account = currentAccount();
  const main = screen(t('meTitle'));
  if (account) main.append(h('p', {}, t('signedInAs', { name: account.fullName })));
  const links = [['/my-reports', 'myReports'], ['/dossiers', 'dossiersTitle'], ['/feed', 'feedTitle'], ['/settings', 'settings']];
  if (account && (account.role === 'CADRE' || account.role === 'ADMIN')) links.splice(2, 0, ['/queue', 'queueTitle']);
  if (!account) links.push(['/signin', 'signIn'], ['/register', 'register']);
  main.append(h('nav', { class: 'quick', 'aria-label': t('meTitle') }, links.map(([href, key]) => h('a', { href }, t(key)))));
  if (account) {
    main.append(h('div', { class: 'actions' }, h('button', { type: 'button', class: 'secondary', onclick: signOut }, t('signOut'))));
  }
}

// Push to this browser ends before the tokens go, so a shared phone stops getting the previous person's
// messages. Best effort and never more than a few seconds: offline, sign-out completes all the same.
const PUSH_OFF_WAIT_MS = 3000;

async function signOut() {
  const pushOff = import('../push.js').then((push) => push.disablePush({ signingOut: true })).catch(() => {});
  await Promise.race([pushOff, new Promise((resolve) => { setTimeout(resolve, PUSH_OFF_WAIT_MS); })]);
  const refreshToken = await kv.get('refreshToken');
  if (refreshToken) await mutate(LOGOUT, { input: { refreshToken } }).catch(() => {});
  await endSession();
  window.dispatchEvent(new CustomEvent('hub:signed-out'));
  await navigate('/', { replace: true });
  announce(t('signedOut'));
}

export async function settings() {
  const main = screen(t('settingsTitle'));
  const language = h('select', { name: 'language' },
    h('option', { value: 'vi', selected: lang() === 'vi' }, 'Tiếng Việt'),
    h('option', { value: 'en', selected: lang() === 'en', lang: 'en' }, 'English'));
  language.addEventListener('change', async () => {
    await kv.set('language', language.value);
    await applyLanguage(language.value);
    await settings();
    announce(t('saved'));
  });
  const push = h('input', { type: 'checkbox', name: 'push', id: 'push-toggle' });
  push.checked = (await kv.get('push')) === true && 'Notification' in window && Notification.permission === 'granted';
  const status = h('p', { role: 'status' });
  push.addEventListener('change', async () => {
    const { enablePush, disablePush } = await import('../push.js');
    if (!push.checked) {
      await disablePush().catch(() => {}); // the browser's subscription is gone; the hub is told at sign-out
      status.textContent = t('pushOff');
      return;
    }
    let result;
    try { result = await enablePush(); } catch { result = 'error'; }
    push.checked = result === 'on';
    status.textContent = { on: t('pushOn'), denied: t('pushDenied'), unsupported: t('pushUnsupported') }[result] || t('unavailable');
  });
  main.append(field(t('languageLabel'), language),
    h('label', { class: 'check', for: 'push-toggle' }, push, t('pushLabel')), status);
  if (!currentAccount()) main.append(notice(t('needSignIn')));
}
