// The reports waiting in the outbox, as shown on the report form and under "my reports".
import { formatDate, t } from './i18n.js';
import { h } from './ui.js';

export async function outboxList() {
  const { pending } = await import('./outbox.js');
  const items = await pending();
  if (!items.length) return null;
  return h('section', { 'aria-labelledby': 'outbox-h', class: 'outbox' },
    h('h2', { id: 'outbox-h' }, t('outboxTitle')),
    h('ul', { class: 'list' }, items.map((item) => h('li', { class: 'card' },
      h('h3', {}, item.input.title),
      h('p', { class: 'meta' }, h('span', { class: 'status pending' }, t('waiting')), ' · ', formatDate(item.createdAt)),
      item.errors ? h('p', { class: 'field-error' }, item.errors.map((e) => e.message).join(' ')) : null,
    ))));
}
