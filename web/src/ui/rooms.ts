/** Rooms: the list with invites and create/join forms, and the open room with its timeline and composer. */
import { displayName, roomName, type Model, type Room, type TimelineItem } from '../model.js';
import { h, replace } from './dom.js';

export interface RoomActions {
  open(roomId: string): void;
  accept(roomId: string): void;
  decline(roomId: string): void;
  create(name: string, invite: string[]): Promise<void>;
  join(idOrAlias: string): Promise<void>;
  send(roomId: string, text: string): void;
  older(roomId: string): Promise<void>;
  leave(roomId: string): void;
}

export class RoomsPanel {
  readonly el: HTMLElement;
  private readonly list = h('ul', { class: 'room-list', 'aria-labelledby': 'rooms-h' });
  private readonly invites = h('ul', { class: 'invite-list', 'aria-label': 'Invites' });

  constructor(private readonly actions: RoomActions) {
    const name = h('input', { id: 'new-room-name', placeholder: 'Lobby', autocomplete: 'off' });
    const invite = h('input', { id: 'new-room-invite', placeholder: '@friend:server', autocomplete: 'off' });
    const joinId = h('input', { id: 'join-room-id', placeholder: '!room:server or #alias:server', autocomplete: 'off', required: true });
    const create = h(
      'form',
      {
        class: 'create-room',
        onsubmit: (ev) => {
          ev.preventDefault();
          const ids = invite.value.split(/[\s,]+/).filter((s) => s !== '');
          void actions.create(name.value.trim(), ids).then(() => {
            name.value = '';
            invite.value = '';
          });
        },
      },
      h('label', { for: 'new-room-name' }, 'New room name'),
      name,
      h('label', { for: 'new-room-invite' }, 'Invite (user IDs)'),
      invite,
      h('button', { type: 'submit' }, 'Create room'),
    );
    const join = h(
      'form',
      {
        class: 'join-room',
        onsubmit: (ev) => {
          ev.preventDefault();
          void actions.join(joinId.value.trim()).then(() => {
            joinId.value = '';
          });
        },
      },
      h('label', { for: 'join-room-id' }, 'Join a room'),
      h('div', { class: 'row' }, joinId, h('button', { type: 'submit' }, 'Join')),
    );
    this.el = h(
      'nav',
      { class: 'panel rooms', 'aria-labelledby': 'rooms-h' },
      h('h2', { id: 'rooms-h' }, 'Rooms'),
      this.list,
      this.invites,
      h('details', { class: 'room-forms', open: true }, h('summary', {}, 'New or join'), create, join),
    );
  }

  update(model: Model, openRoomId: string | null): void {
    const rooms = [...model.rooms.values()].sort((a, b) => lastTs(b) - lastTs(a));
    replace(
      this.list,
      ...(rooms.length === 0
        ? [h('li', { class: 'muted empty' }, 'No rooms yet.')]
        : rooms.map((r) =>
            h(
              'li',
              {},
              h(
                'button',
                { type: 'button', class: 'room-link', 'data-room-id': r.roomId, 'aria-current': r.roomId === openRoomId ? 'true' : null, onclick: () => this.actions.open(r.roomId) },
                h('span', { class: 'room-name' }, roomName(model, r)),
                r.unread > 0 ? h('span', { class: 'badge', 'aria-label': `${r.unread} unread` }, r.unread) : null,
              ),
            ),
          )),
    );
    replace(
      this.invites,
      ...[...model.invites.values()].map((inv) =>
        h(
          'li',
          { class: 'invite', 'data-room-id': inv.roomId },
          h('div', {}, h('strong', {}, inv.name ?? inv.roomId), inv.inviter ? ` from ${displayName(model, inv.inviter)}` : ''),
          h(
            'div',
            { class: 'row' },
            h('button', { type: 'button', class: 'primary', onclick: () => this.actions.accept(inv.roomId) }, 'Accept'),
            h('button', { type: 'button', onclick: () => this.actions.decline(inv.roomId) }, 'Decline'),
          ),
        ),
      ),
    );
  }
}

function lastTs(r: Room): number {
  return r.timeline.length ? r.timeline[r.timeline.length - 1].ts : 0;
}

/** One line of the timeline; null for event types the client does not show. */
export function describe(model: Model, it: TimelineItem): string | null {
  const who = displayName(model, it.sender);
  const c = it.content;
  switch (it.type) {
    case 'm.room.message':
      return typeof c.body === 'string' ? c.body : null;
    case 'm.room.create':
      return `${who} created the room`;
    case 'm.room.name':
      return typeof c.name === 'string' && c.name ? `${who} named the room “${c.name}”` : `${who} removed the room name`;
    case 'm.room.topic':
      return typeof c.topic === 'string' ? `${who} set the topic: ${c.topic}` : null;
    case 'm.room.member': {
      const target = it.stateKey ? displayName(model, it.stateKey) : '?';
      switch (c.membership) {
        case 'join':
          return `${target} joined`;
        case 'invite':
          return `${who} invited ${target}`;
        case 'leave':
          return it.sender === it.stateKey ? `${target} left` : `${who} removed ${target}`;
        case 'ban':
          return `${who} banned ${target}`;
        default:
          return null;
      }
    }
    default:
      return null;
  }
}

const timeFmt = new Intl.DateTimeFormat(undefined, { hour: '2-digit', minute: '2-digit' });

export class RoomView {
  readonly el: HTMLElement;
  private readonly title = h('h2', { id: 'room-h' }, 'No room open');
  private readonly meta = h('span', { class: 'muted small' });
  private readonly timeline = h('ol', { class: 'timeline', role: 'log', 'aria-live': 'polite', 'aria-labelledby': 'room-h' });
  private readonly older: HTMLButtonElement;
  private readonly leaveBtn: HTMLButtonElement;
  private readonly input: HTMLInputElement;
  private readonly composer: HTMLFormElement;
  private roomId: string | null = null;

  constructor(private readonly actions: RoomActions) {
    this.older = h('button', { type: 'button', class: 'link older', onclick: () => void this.loadOlder() }, 'Load older messages');
    this.leaveBtn = h('button', { type: 'button', class: 'link', onclick: () => this.roomId && actions.leave(this.roomId) }, 'Leave room');
    this.input = h('input', { id: 'composer-input', autocomplete: 'off', placeholder: 'Write a message', disabled: true });
    this.composer = h(
      'form',
      {
        class: 'composer',
        onsubmit: (ev) => {
          ev.preventDefault();
          const text = this.input.value;
          if (!this.roomId || text.trim() === '') return;
          this.input.value = '';
          actions.send(this.roomId, text);
        },
      },
      h('label', { for: 'composer-input', class: 'visually-hidden' }, 'Message'),
      this.input,
      h('button', { type: 'submit', class: 'primary' }, 'Send'),
    );
    this.el = h(
      'section',
      { class: 'panel room-view', 'aria-labelledby': 'room-h' },
      h('header', { class: 'room-head' }, h('div', {}, this.title, this.meta), this.leaveBtn),
      h('div', { class: 'scroller' }, this.older, this.timeline),
      this.composer,
    );
  }

  private async loadOlder(): Promise<void> {
    if (!this.roomId) return;
    this.older.disabled = true;
    const scroller = this.timeline.parentElement!;
    const fromBottom = scroller.scrollHeight - scroller.scrollTop;
    try {
      await this.actions.older(this.roomId);
    } finally {
      this.older.disabled = false;
    }
    scroller.scrollTop = scroller.scrollHeight - fromBottom;
  }

  /** Redraws the open room; keeps the view pinned to the newest message when it was there. */
  update(model: Model, room: Room | null): void {
    const changedRoom = (room?.roomId ?? null) !== this.roomId;
    this.roomId = room?.roomId ?? null;
    this.input.disabled = !room;
    this.leaveBtn.hidden = !room;
    if (!room) {
      this.title.textContent = 'No room open';
      this.meta.textContent = '';
      this.older.hidden = true;
      replace(this.timeline, h('li', { class: 'muted empty' }, 'Pick a room, accept an invite or create one.'));
      return;
    }
    const name = roomName(model, room);
    this.title.textContent = name;
    const joined = [...room.members.values()].filter((m) => m.membership === 'join').length;
    this.meta.textContent = ` · ${joined} member${joined === 1 ? '' : 's'}`;
    this.input.placeholder = `Message ${name}`;
    this.older.hidden = room.prevBatch === null;
    const scroller = this.timeline.parentElement!;
    const atBottom = changedRoom || scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < 40;
    const items: HTMLElement[] = [];
    for (const it of room.timeline) {
      const text = describe(model, it);
      if (text === null) continue;
      if (it.type !== 'm.room.message') {
        items.push(h('li', { class: 'notice' }, text));
        continue;
      }
      items.push(
        h(
          'li',
          { class: `msg${it.pending ? ' pending' : ''}${it.failed ? ' failed' : ''}`, 'data-event-id': it.eventId || null },
          h('div', { class: 'msg-head' }, h('strong', { class: 'sender' }, displayName(model, it.sender)), h('time', { datetime: new Date(it.ts).toISOString() }, timeFmt.format(it.ts))),
          h('p', { class: 'body' }, text),
          it.failed ? h('span', { class: 'small error' }, 'Not sent') : it.pending ? h('span', { class: 'small muted' }, 'Sending…') : null,
        ),
      );
    }
    replace(this.timeline, ...(items.length ? items : [h('li', { class: 'muted empty' }, 'No messages yet.')]));
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
    if (changedRoom) this.input.focus();
  }
}
