/** The presence indicator: a shaped dot plus a text label, so colour is never the only cue. */
import { presenceClass, presenceLabel } from '../presence.js';
import { h } from './dom.js';

export function indicator(presence: string, label: string = presenceLabel(presence)): HTMLSpanElement {
  return h(
    'span',
    { class: `presence presence--${presenceClass(presence)}`, 'data-presence': presence },
    h('span', { class: 'dot', 'aria-hidden': 'true' }),
    h('span', { class: 'presence-label' }, label),
  );
}
