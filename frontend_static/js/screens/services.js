import { query } from '../api.js';
import { formatDate, formatNumber, t } from '../i18n.js';
import { PROCEDURE, SEARCH_PROCEDURES, SECTORS } from '../queries.js';
import { failure, field, h, screen, showMore, staleNotice } from '../ui.js';

const item = (node) => h('li', { class: 'card' },
  h('a', { class: 'title', href: `/services/${encodeURIComponent(node.code)}` }, node.name),
  h('p', { class: 'meta' }, `${node.code} · ${node.sector.name} · ${t(`level_${node.level}`)}`));

// Search as you type: debounced, and an answer that arrives after a newer one is ignored.
export async function search() {
  const main = screen(t('servicesTitle'));
  const params = new URLSearchParams(location.search);
  const input = h('input', { type: 'search', name: 'search', autocomplete: 'off', value: params.get('q') || '' });
  const sector = h('select', { name: 'sector' }, h('option', { value: '' }, t('allSectors')));
  const status = h('p', { role: 'status', class: 'muted' });
  const results = h('ul', { class: 'list' });
  const more = h('div');
  main.append(h('form', { role: 'search', onsubmit: (e) => { e.preventDefault(); run(); } },
    field(t('searchLabel'), input, t('searchHint')), field(t('sectorLabel'), sector)), status, results, more);

  query(SECTORS, {}, { cache: 'sectors' }).then(({ data }) => {
    for (const s of data.sectors) sector.append(h('option', { value: s.id }, `${s.name} (${formatNumber(s.procedureCount)})`));
  }).catch(() => {});

  let timer = null;
  let asked = 0;
  async function run() {
    const ticket = ++asked;
    const text = input.value.trim();
    history.replaceState(null, '', text ? `/services?q=${encodeURIComponent(text)}` : '/services');
    const variables = { search: text || null, sectorId: sector.value || null, first: 20 };
    try {
      const { data, stale } = await query(SEARCH_PROCEDURES, variables,
        { cache: `procedures:${text}:${sector.value}` });
      if (ticket !== asked) return;
      const { edges, totalCount } = data.procedures;
      status.textContent = edges.length ? t('resultsCount', { n: formatNumber(totalCount) }) : t('noResults');
      if (stale) status.textContent = `${t('offlineData')} ${status.textContent}`;
      results.replaceChildren(...edges.map(({ node }) => item(node)));
      more.replaceChildren(showMore(results, data.procedures.pageInfo, async (after) =>
        (await query(SEARCH_PROCEDURES, { ...variables, after })).data.procedures, item));
    } catch {
      if (ticket !== asked) return;
      status.textContent = t('unavailable');
      more.replaceChildren();
    }
  }
  input.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(run, 250); });
  sector.addEventListener('change', run);
  run();
}

export async function procedure(code) {
  const main = screen(t('loading'), { focus: false });
  let result;
  try {
    result = await query(PROCEDURE, { code }, { cache: `procedure:${code}` });
  } catch (error) {
    main.replaceChildren(h('h1', { tabindex: '-1' }, t('servicesTitle')), failure(error, () => procedure(code)));
    return;
  }
  const p = result.data.procedure;
  if (!p) {
    screen(t('notFound'));
    return;
  }
  const page = screen(p.name);
  const facts = [
    [t('procCode'), p.code], [t('procSector'), p.sector.name], [t('procAgency'), p.agency.name],
    [t('procTime'), p.processingTime], [t('procFee'), p.fee], [t('navServices'), t(`level_${p.level}`)],
    [t('procUpdated'), formatDate(p.updatedAt, false)],
  ];
  page.append(
    staleNotice(result.stale) || '',
    h('dl', { class: 'facts' }, facts.map(([k, v]) => [h('dt', {}, k), h('dd', {}, v)])),
    h('h2', {}, t('procDocs')),
    h('ul', {}, p.requiredDocuments.map((d) => h('li', {}, `${d.name} — ${t('copies', { n: formatNumber(d.quantity) })}`))),
    h('h2', {}, t('procSteps')),
    h('ol', {}, p.steps.map((s) => h('li', {}, s))),
    h('h2', {}, t('procLegal')),
    h('ul', {}, p.legalBasis.map((s) => h('li', {}, s))),
    h('p', {}, h('a', { href: '/services' }, `← ${t('servicesTitle')}`)),
  );
}
