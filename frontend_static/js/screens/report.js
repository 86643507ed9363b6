import { currentAccount, mutate, NetworkError, query } from '../api.js';
import { formatNumber, t } from '../i18n.js';
import { frameAround, sketchMap } from '../map.js';
import { CATEGORIES, SIMILAR, SUPPORT, WARDS } from '../queries.js';
import { announce, field, h, nextId, notice, payloadProblems, screen, showErrors, statusChip } from '../ui.js';
import { outboxList } from '../outbox-view.js';

let wardPoints = null;
async function loadWardPoints() {
  if (!wardPoints) {
    const url = new URL('../../data/ward-points.json', import.meta.url);
    wardPoints = await fetch(url).then((r) => r.json()).catch(() => ({}));
  }
  return wardPoints;
}

export async function report() {
  const main = screen(t('reportTitle'));
  if (!currentAccount()) {
    main.append(notice(t('needSignIn')), h('p', {}, h('a', { class: 'button', href: '/signin?next=/report' }, t('signIn'))));
    return;
  }
  const outboxSlot = h('div');
  main.append(outboxSlot);
  outboxList().then((list) => list && outboxSlot.replaceChildren(list));

  const idempotencyKey = crypto.randomUUID(); // one per form: a retry of this report is the same report
  const photos = [];
  let location = null;

  const category = h('select', { name: 'categoryId', required: true }, h('option', { value: '' }, t('chooseCategory')));
  const title = h('input', { name: 'title', required: true, maxlength: '200' });
  const description = h('textarea', { name: 'description', required: true, maxlength: '4000' });
  const camera = h('input', { type: 'file', name: 'camera', accept: 'image/*', capture: 'environment' });
  const gallery = h('input', { type: 'file', name: 'photos', accept: 'image/*', multiple: true });
  const photoStatus = h('p', { role: 'status', class: 'muted' });
  const thumbs = h('div', { class: 'photos' });
  const gps = h('button', { type: 'button', class: 'secondary' }, t('useGps'));
  const ward = h('select', { name: 'ward' }, h('option', { value: '' }, t('chooseWard')));
  const address = h('input', { name: 'address', autocomplete: 'street-address', maxlength: '300' });
  const locationStatus = h('p', { role: 'status', id: nextId('loc') }, t('noLocation'));
  const locationAnchor = h('input', { type: 'hidden', name: 'location' });
  const mapSlot = h('div');
  const anonymous = h('input', { type: 'checkbox', name: 'anonymous', id: nextId('anon') });
  const similarSlot = h('section', { 'aria-live': 'polite' });
  const submit = h('button', { type: 'submit' }, t('submit'));
  const result = h('div');

  let map = null;
  const setLocation = (point, source) => {
    location = point;
    locationStatus.textContent = t('locationChosen', { lat: formatNumber(point.latitude, 5), lon: formatNumber(point.longitude, 5) });
    if (map && source !== 'map') map.place(point);
    findSimilar();
  };

  gps.addEventListener('click', () => {
    if (!('geolocation' in navigator)) { locationStatus.textContent = t('gpsNotAvailable'); return; }
    locationStatus.textContent = t('gpsWorking');
    navigator.geolocation.getCurrentPosition(
      (pos) => setLocation({ latitude: +pos.coords.latitude.toFixed(6), longitude: +pos.coords.longitude.toFixed(6) }, 'gps'),
      () => { locationStatus.textContent = t('gpsFailed'); },
      { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 },
    );
  });
  ward.addEventListener('change', async () => {
    const points = await loadWardPoints();
    const point = points[ward.selectedOptions[0].dataset.code];
    if (point) setLocation({ latitude: point[0], longitude: point[1] }, 'ward');
  });

  async function addPhotos(input) {
    const { resizePhoto } = await import('../photos.js');
    for (const file of input.files) {
      const { blob } = await resizePhoto(file);
      photos.push(blob);
      const url = URL.createObjectURL(blob);
      thumbs.append(h('img', { src: url, alt: t('photoOf', { n: photos.length }) }));
    }
    input.value = '';
    photoStatus.textContent = t('photosChosen', { n: photos.length });
  }
  camera.addEventListener('change', () => addPhotos(camera));
  gallery.addEventListener('change', () => addPhotos(gallery));

  let similarAsked = 0;
  async function findSimilar() {
    if (!location || !category.value || !navigator.onLine) { similarSlot.replaceChildren(); return; }
    const ticket = ++similarAsked;
    try {
      const { data } = await query(SIMILAR, { categoryId: category.value, location });
      if (ticket !== similarAsked) return;
      const items = data.similarFeedbacks;
      if (!items.length) { similarSlot.replaceChildren(); return; }
      similarSlot.replaceChildren(h('h2', {}, t('similarTitle')), h('p', {}, t('similarHint')),
        h('ul', { class: 'list' }, items.map((f) => {
          const button = h('button', { type: 'button', class: 'secondary', 'aria-pressed': 'false' }, t('meToo'));
          button.addEventListener('click', async () => {
            const answer = await mutate(SUPPORT, { input: { id: f.id, value: true } });
            if (!answer.supportFeedback.errors.length) {
              button.setAttribute('aria-pressed', 'true');
              button.textContent = t('meTooDone');
              announce(t('meTooDone'));
            }
          });
          return h('li', { class: 'card' },
            h('a', { class: 'title', href: `/reports/${encodeURIComponent(f.id)}` }, f.title),
            h('p', { class: 'meta' }, statusChip(f.status), ' ', f.referenceCode, ' · ', t('supporters', { n: formatNumber(f.supportCount) })),
            h('div', { class: 'actions' }, button));
        })));
    } catch { similarSlot.replaceChildren(); }
  }
  category.addEventListener('change', findSimilar);

  const form = h('form', { novalidate: true },
    field(t('categoryLabel'), category), field(t('titleLabel'), title),
    field(t('descriptionLabel'), description, t('descriptionHint')),
    h('fieldset', {}, h('legend', {}, t('photosLabel')), h('p', { class: 'hint' }, t('photosHint')),
      field(t('cameraLabel'), camera), field(t('galleryLabel'), gallery),
      photoStatus, thumbs),
    h('fieldset', {}, h('legend', {}, t('locationLegend')), locationAnchor, locationStatus,
      h('div', { class: 'actions' }, gps), field(t('wardLabel'), ward), mapSlot, field(t('addressLabel'), address)),
    h('label', { class: 'check', for: anonymous.id }, anonymous, t('anonymousLabel')),
    similarSlot,
    h('div', { class: 'actions' }, submit));
  main.append(form, result);

  query(CATEGORIES, {}, { cache: 'categories' }).then(({ data }) => {
    for (const c of data.feedbackCategories) category.append(h('option', { value: c.id }, c.name));
  }).catch(() => {});
  Promise.all([query(WARDS, {}, { cache: 'wards' }), loadWardPoints()]).then(([{ data }, points]) => {
    const known = data.administrativeUnits.filter((u) => points[u.code]);
    known.sort((a, b) => a.name.localeCompare(b.name, 'vi'));
    for (const u of known) ward.append(h('option', { value: u.id, 'data-code': u.code }, u.name));
    const all = Object.values(points).map(([latitude, longitude]) => ({ latitude, longitude }));
    if (all.length) {
      map = sketchMap({ frame: frameAround(all, null), points: [], pin: location, label: t('mapHint'),
        onPick: (point) => setLocation(point, 'map') });
      mapSlot.replaceChildren(h('p', { class: 'hint' }, `${t('mapLabel')}. ${t('mapHint')}`), map.svg);
    }
  }).catch(() => {});

  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const problems = [];
    for (const [input, label] of [[category, t('categoryLabel')], [title, t('titleLabel')], [description, t('descriptionLabel')]]) {
      const key = input.tagName === 'SELECT' ? 'requiredChoice' : 'required';
      if (!input.value.trim()) problems.push({ input, message: t(key, { field: label.toLowerCase() }) });
    }
    if (!location) problems.push({ input: ward, message: t('requiredLocation') });
    showErrors(form, problems);
    if (problems.length) return;
    const input = {
      idempotencyKey, title: title.value.trim(), description: description.value.trim(), categoryId: category.value,
      location, address: address.value.trim() || null, anonymous: anonymous.checked,
    };
    submit.disabled = true;
    submit.textContent = t('sending');
    const outbox = await import('../outbox.js');
    try {
      if (!navigator.onLine) throw new NetworkError('offline');
      const data = await outbox.submitNow(input, photos);
      const payload = data.submitFeedback;
      if (payload.errors.length) {
        showErrors(form, payloadProblems(form, payload.errors).map((p) => (p.input === locationAnchor ? { ...p, input: ward } : p)));
        return;
      }
      const { feedback } = payload;
      result.replaceChildren(notice(t('submitted', { code: feedback.referenceCode }), 'ok'),
        h('p', {}, h('a', { href: `/reports/${encodeURIComponent(feedback.id)}` }, feedback.title)));
      form.remove();
      result.querySelector('.notice').setAttribute('tabindex', '-1');
      result.querySelector('.notice').focus();
      import('../push.js').then((push) => push.offerPushAfterReport());
    } catch (error) {
      if (!(error instanceof NetworkError)) {
        showErrors(form, [{ input: null, message: error.message }]);
        return;
      }
      await outbox.enqueue(input, photos, currentAccount().id);
      requestBackgroundSync();
      form.remove();
      result.replaceChildren(notice(t('queuedOffline'), 'ok'));
      result.querySelector('.notice').setAttribute('tabindex', '-1');
      result.querySelector('.notice').focus();
      const list = await outboxList();
      if (list) outboxSlot.replaceChildren(list);
    } finally {
      submit.disabled = false;
      submit.textContent = t('submit');
    }
  });
}

async function requestBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker.ready;
    if (registration.sync) await registration.sync.register('outbox');
  } catch { /* no Background Sync here: the online event and the next start send it */ }
}
