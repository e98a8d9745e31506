/**
 * The "You" panel: own state (real state plus appear-offline, as only the user sees it),
 * the state choice, status message, appear-offline switch, idle timeout and the
 * per-device view of seed 004.
 */
import type { SelfPresence } from '../api.js';
import { clampMinutes, MAX_IDLE_MINUTES, MIN_IDLE_MINUTES, type IdleSetting } from '../idle.js';
import type { PresenceInfo } from '../model.js';
import type { Choice } from '../own.js';
import { activityText, formatAgo, ownLabel, presenceLabel } from '../presence.js';
import { h, replace } from './dom.js';
import { indicator } from './indicator.js';

export interface MeActions {
  choose(choice: Choice): void;
  setStatus(msg: string): void;
  appearOffline(on: boolean): void;
  idleMinutes(minutes: number): void;
}

export interface MeView {
  userId: string;
  displayName: string;
  deviceId: string;
  /** The user's own m.presence as last received (null before the first). */
  info: PresenceInfo | null;
  choice: Choice;
  /** This device as the client sees it. */
  deviceIdle: boolean;
  appearOffline: boolean;
  statusMsg: string | null;
  idle: IdleSetting;
  devices: { detail: SelfPresence; fetchedAt: number } | null;
}

function describeTimeout(ms: number): string {
  return ms < 60_000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${Math.round(ms / 60_000)} min`;
}

export class MePanel {
  readonly el: HTMLElement;
  private readonly card = h('div', { class: 'me-card', 'data-testid': 'me' });
  private readonly choice: HTMLSelectElement;
  private readonly status: HTMLInputElement;
  private readonly appear: HTMLInputElement;
  private readonly idleSelect: HTMLSelectElement;
  private readonly idleNote = h('p', { class: 'hint', id: 'idle-note' });
  private readonly devices = h('ul', { class: 'devices', 'aria-label': 'Your devices' });

  constructor(private readonly actions: MeActions) {
    this.choice = h(
      'select',
      { id: 'state-choice', onchange: () => actions.choose(this.choice.value === 'away' ? 'away' : 'online') },
      h('option', { value: 'online' }, 'Online'),
      h('option', { value: 'away' }, 'Idle / away'),
    );
    this.status = h('input', { id: 'status-msg', name: 'status', maxlength: 256, placeholder: 'What are you up to?', autocomplete: 'off' });
    this.appear = h('input', {
      id: 'appear-offline',
      type: 'checkbox',
      role: 'switch',
      'aria-describedby': 'appear-offline-hint',
      onchange: () => actions.appearOffline(this.appear.checked),
    });
    this.idleSelect = h('select', {
      id: 'idle-timeout',
      'aria-describedby': 'idle-note',
      onchange: () => actions.idleMinutes(clampMinutes(Number(this.idleSelect.value))),
    });
    for (let m = MIN_IDLE_MINUTES; m <= MAX_IDLE_MINUTES; m++) this.idleSelect.append(h('option', { value: m }, `${m} min`));

    const statusForm = h(
      'form',
      {
        class: 'status-form',
        onsubmit: (ev) => {
          ev.preventDefault();
          actions.setStatus(this.status.value);
          this.status.value = '';
        },
      },
      h('label', { for: 'status-msg' }, 'Status message'),
      h('div', { class: 'row' }, this.status, h('button', { type: 'submit' }, 'Set')),
    );

    this.el = h(
      'section',
      { class: 'panel me', 'aria-labelledby': 'me-h' },
      h('h2', { id: 'me-h' }, 'You'),
      this.card,
      h(
        'div',
        { class: 'grid2' },
        h('div', {}, h('label', { for: 'state-choice' }, 'State'), this.choice),
        h('div', {}, h('label', { for: 'idle-timeout' }, 'Idle after'), this.idleSelect),
      ),
      this.idleNote,
      statusForm,
      h('div', { class: 'switch-row' }, this.appear, h('label', { for: 'appear-offline' }, 'Appear offline'), h('button', { type: 'button', class: 'link', id: 'clear-status', onclick: () => actions.setStatus('') }, 'Clear status')),
      h('p', { class: 'hint', id: 'appear-offline-hint' }, 'Others see you offline; you still see your real state.'),
      h('details', { class: 'devices-box', open: true }, h('summary', {}, 'Your devices'), this.devices),
    );
  }

  update(v: MeView, now: number): void {
    const info = v.info;
    const state = info?.presence ?? (v.deviceIdle ? 'unavailable' : 'online');
    replace(
      this.card,
      h('div', { class: 'who' }, h('strong', { class: 'name' }, v.displayName), h('span', { class: 'uid' }, v.userId)),
      indicator(state, ownLabel(info ?? undefined)),
      h('div', { class: 'status-msg' }, v.statusMsg ?? h('span', { class: 'muted' }, 'No status message')),
      h('div', { class: 'activity' }, activityText(info ?? undefined, now)),
      h('div', { class: 'this-device' }, `This device: ${presenceLabel(v.deviceIdle || v.choice === 'away' ? 'unavailable' : 'online')}`),
    );
    if (document.activeElement !== this.choice) this.choice.value = v.choice;
    this.appear.checked = v.appearOffline;
    // The ?idle= override can be anything (tests use 2 s): show it as it is rather than a rounded minute.
    const fromUrl = v.idle.source === 'url';
    let urlOption = this.idleSelect.querySelector<HTMLOptionElement>('option[value="url"]');
    if (fromUrl && !urlOption) {
      urlOption = h('option', { value: 'url' }, describeTimeout(v.idle.ms));
      this.idleSelect.append(urlOption);
    }
    this.idleSelect.value = fromUrl ? 'url' : String(clampMinutes(v.idle.ms / 60_000));
    this.idleSelect.disabled = fromUrl;
    this.idleNote.textContent =
      v.idle.source === 'url'
        ? `Set to ${describeTimeout(v.idle.ms)} by the page address (?idle=).`
        : `Idle after ${describeTimeout(v.idle.ms)} without mouse, keyboard, touch or focus.`;
    this.renderDevices(v, now);
  }

  private renderDevices(v: MeView, now: number): void {
    if (!v.devices) {
      replace(this.devices, h('li', { class: 'muted' }, 'Loading…'));
      return;
    }
    const { detail, fetchedAt } = v.devices;
    const age = now - fetchedAt;
    const items = detail.devices.map((d) => {
      const bits: string[] = [d.syncing ? 'connected' : 'not connected'];
      if (d.last_active_ago !== undefined) bits.push(`active ${formatAgo(d.last_active_ago + age)}`);
      return h(
        'li',
        { class: 'device', 'data-device-id': d.device_id },
        indicator(d.presence),
        h('span', { class: 'device-id' }, d.device_id),
        d.device_id === v.deviceId ? h('span', { class: 'tag' }, 'this device') : null,
        d.device_id === detail.decided_by ? h('span', { class: 'tag' }, 'sets your state') : null,
        h('div', { class: 'muted small' }, bits.join(' · ')),
      );
    });
    replace(this.devices, ...(items.length ? items : [h('li', { class: 'muted' }, 'No device is online')]));
  }
}
