/** Everyone who shares a room with the user, most available first, with presence and status. */
import { contactIds, displayName, type Model } from '../model.js';
import { activityText, presenceRank } from '../presence.js';
import { h, replace } from './dom.js';
import { indicator } from './indicator.js';

export function renderContacts(list: HTMLElement, model: Model, now: number): void {
  const ids = contactIds(model).sort((a, b) => {
    const r = presenceRank(model.presence.get(a)?.presence) - presenceRank(model.presence.get(b)?.presence);
    return r !== 0 ? r : displayName(model, a).localeCompare(displayName(model, b));
  });
  if (ids.length === 0) {
    replace(list, h('li', { class: 'muted empty' }, 'Nobody yet: people you share a room with appear here.'));
    return;
  }
  replace(
    list,
    ...ids.map((id) => {
      const info = model.presence.get(id);
      const state = info?.presence ?? 'offline';
      const activity = activityText(info, now);
      return h(
        'li',
        { class: 'contact', 'data-user-id': id },
        h('div', { class: 'who' }, h('strong', { class: 'name' }, displayName(model, id)), h('span', { class: 'uid' }, id)),
        indicator(state),
        info?.statusMsg ? h('div', { class: 'status-msg' }, info.statusMsg) : null,
        activity ? h('div', { class: 'activity' }, activity) : null,
      );
    }),
  );
}
