import { currentAccount, query } from '../api.js';
import { t } from '../i18n.js';
import { QUEUE } from '../queries.js';
import { failure, field, h, notice, screen, staleNotice } from '../ui.js';
import { card } from './reports.js';

// A cadre's work queue: their agency's reports, oldest promises first as the hub orders them.
export async function queue() {
  const main = screen(t('queueTitle'));
  const account = currentAccount();
  if (!account || (account.role !== 'CADRE' && account.role !== 'ADMIN')) {
    main.append(notice(t('needSignIn')));
    return;
  }
  const status = h('select', { name: 'status' }, h('option', { value: '' }, t('allStatuses')),
    ['SUBMITTED', 'ASSIGNED', 'IN_PROGRESS', 'RESOLVED'].map((s) => h('option', { value: s }, t(`status_${s}`))));
  const body = h('div');
  main.append(field(t('statusFilter'), status), body);
  const load = async () => {
    try {
      const variables = { status: status.value ? [status.value] : null, first: 20 };
      const { data, stale } = await query(QUEUE, variables, { cache: `me:queue:${status.value}` });
      const { edges } = data.viewer.assignedFeedbacks;
      const agency = data.viewer.account.agency;
      body.replaceChildren(staleNotice(stale) || '', agency ? h('p', { class: 'meta' }, agency.name) : '',
        edges.length ? h('ul', { class: 'list', id: 'queue' }, edges.map(({ node }) => card(node))) : h('p', {}, t('noQueue')));
    } catch (error) {
      body.replaceChildren(failure(error, load));
    }
  };
  status.addEventListener('change', load);
  await load();
}
