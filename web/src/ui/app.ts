/**
 * The signed-in client: wires the sync loop, the model, the idle tracker and own
 * presence to the panels, and the panels' actions back to the API.
 */
import { ApiError, type Api, type SelfPresence, type Session } from '../api.js';
import { IDLE_SETTING_KEY, IdleTracker, resolveIdleTimeout, type IdleSetting } from '../idle.js';
import { addPending, applySync, displayName, emptyModel, prependHistory, type Model } from '../model.js';
import { HEARTBEAT_MS, OwnPresence, type Choice } from '../own.js';
import { SyncLoop } from '../syncLoop.js';
import { renderContacts } from './contacts.js';
import { h, replace } from './dom.js';
import { MePanel } from './me.js';
import { RoomsPanel, RoomView, type RoomActions } from './rooms.js';

export interface AppEnv {
  root: HTMLElement;
  api: Api;
  session: Session;
  storage: Storage;
  /** `location.search`, for the `?idle=` override. */
  search: string;
  onLoggedOut: () => void;
}

const CHOICE_KEY = 'presenced.choice';
const TICK_MS = 5000;
const DEVICES_REFRESH_MS = 15_000;
const ACTIVITY_EVENTS = ['mousemove', 'mousedown', 'keydown', 'touchstart', 'wheel', 'focus'] as const;

export function startApp(env: AppEnv): { stop(): void } {
  const { api, session, storage } = env;
  const me = session.userId;
  const model: Model = emptyModel(me);
  const stopAll = new AbortController();
  let idleSetting: IdleSetting = resolveIdleTimeout(env.search, storage.getItem(IDLE_SETTING_KEY));
  let devices: { detail: SelfPresence; fetchedAt: number } | null = null;
  let openRoomId: string | null = null;
  let firstSync = true;

  const toast = h('div', { class: 'toast', role: 'alert', hidden: true });
  let toastTimer: ReturnType<typeof setTimeout> | undefined;
  function showError(err: unknown): void {
    toast.textContent = err instanceof ApiError ? err.message : err instanceof Error ? err.message : 'Something went wrong';
    toast.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => (toast.hidden = true), 6000);
  }

  const own = new OwnPresence(
    api,
    { now: () => Date.now(), heartbeatMs: HEARTBEAT_MS, onSyncPresenceChanged: () => loop.restart(), onError: showError },
    storage.getItem(CHOICE_KEY) === 'away' ? 'away' : 'online',
  );
  const tracker = new IdleTracker({
    timeoutMs: idleSetting.ms,
    now: () => Date.now(),
    setTimer: (fn, ms) => setTimeout(fn, ms),
    clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
    onChange: (idle) => {
      void own.idleChanged(idle).then(refreshDevicesSoon);
      renderPresence();
    },
  });
  const loop = new SyncLoop(api, {
    setPresence: () => own.syncPresence(),
    onSync: (body) => {
      const hadOpen = openRoomId !== null && model.rooms.has(openRoomId);
      const changes = applySync(model, body, Date.now());
      const mine = body.presence?.events?.some((e) => e.sender === me);
      const self = model.presence.get(me);
      if (mine && self) own.fromServer(self);
      if (mine || firstSync) refreshDevicesSoon();
      // Open something when nothing is open, or when the open room went away (left, kicked).
      // A room just created or joined here may not have arrived yet: leave that choice alone.
      if (openRoomId === null || (hadOpen && !model.rooms.has(openRoomId))) openRoomId = mostRecentRoom();
      const open = openRoomId ? model.rooms.get(openRoomId) : undefined;
      if (open) open.unread = 0;
      firstSync = false;
      renderPresence();
      if (changes.rooms || changes.timelines.size > 0) renderRooms(changes.rooms || (openRoomId !== null && changes.timelines.has(openRoomId)));
    },
    onConnected: (ok) => {
      conn.textContent = ok ? 'Connected' : 'Reconnecting…';
      conn.dataset.state = ok ? 'ok' : 'down';
    },
    onLoggedOut: () => finish(false),
  });

  function mostRecentRoom(): string | null {
    let best: string | null = null;
    let bestTs = -1;
    for (const r of model.rooms.values()) {
      const ts = r.timeline.length ? r.timeline[r.timeline.length - 1].ts : 0;
      if (ts > bestTs) [best, bestTs] = [r.roomId, ts];
    }
    return best;
  }

  let devicesTimer: ReturnType<typeof setTimeout> | undefined;
  function refreshDevicesSoon(): void {
    clearTimeout(devicesTimer);
    devicesTimer = setTimeout(() => {
      api.ownPresence().then(
        (detail) => {
          devices = { detail, fetchedAt: Date.now() };
          renderPresence();
        },
        (err: unknown) => {
          if (!(err instanceof ApiError && err.status === 401)) console.warn('own presence', err);
        },
      );
    }, 250);
  }

  // ---- panels -------------------------------------------------------------
  const mePanel = new MePanel({
    choose: (c: Choice) => {
      storage.setItem(CHOICE_KEY, c);
      void own.setChoice(c).then(refreshDevicesSoon);
      renderPresence();
    },
    setStatus: (msg) => {
      void own.setStatusMessage(msg);
      renderPresence();
    },
    appearOffline: (on) => {
      void own.setAppearOffline(on).then(refreshDevicesSoon);
      renderPresence();
    },
    idleMinutes: (m) => {
      storage.setItem(IDLE_SETTING_KEY, String(m));
      idleSetting = { ms: m * 60_000, source: 'setting' };
      tracker.setTimeoutMs(idleSetting.ms);
      renderPresence();
    },
  });

  const actions: RoomActions = {
    open: (roomId) => {
      openRoomId = roomId;
      const r = model.rooms.get(roomId);
      if (r) r.unread = 0;
      renderRooms(true);
    },
    accept: (roomId) => {
      api.join(roomId).then(() => {
        openRoomId = roomId;
      }, showError);
    },
    decline: (roomId) => {
      api.leave(roomId).then(() => {
        model.invites.delete(roomId);
        renderRooms(false);
      }, showError);
    },
    create: async (name, invite) => {
      try {
        const r = await api.createRoom(name, invite);
        openRoomId = r.room_id;
        renderRooms(true);
      } catch (err) {
        showError(err);
        throw err;
      }
    },
    join: async (idOrAlias) => {
      try {
        const r = await api.join(idOrAlias);
        openRoomId = r.room_id;
        renderRooms(true);
      } catch (err) {
        showError(err);
        throw err;
      }
    },
    send: (roomId, text) => {
      const room = model.rooms.get(roomId);
      if (!room) return;
      const txnId = `web${Date.now().toString(36)}${Math.random().toString(36).slice(2, 8)}`;
      addPending(room, me, text, txnId, Date.now());
      renderRooms(true);
      api.sendText(roomId, text, txnId).catch((err: unknown) => {
        const item = room.timeline.find((i) => i.txnId === txnId && i.pending);
        if (item) item.failed = true;
        renderRooms(true);
        showError(err);
      });
    },
    older: async (roomId) => {
      const room = model.rooms.get(roomId);
      if (!room?.prevBatch) return;
      try {
        const res = await api.messages(roomId, room.prevBatch, 30);
        prependHistory(room, res.chunk, res.end);
        renderRooms(true);
      } catch (err) {
        showError(err);
      }
    },
    leave: (roomId) => {
      api.leave(roomId).then(() => {
        model.rooms.delete(roomId);
        openRoomId = mostRecentRoom();
        renderRooms(true);
      }, showError);
    },
  };
  const roomsPanel = new RoomsPanel(actions);
  const roomView = new RoomView(actions);

  const contactList = h('ul', { class: 'contact-list', 'aria-labelledby': 'contacts-h' });
  const conn = h('span', { class: 'conn', role: 'status', 'data-state': 'connecting' }, 'Connecting…');
  const logout = h('button', { type: 'button', onclick: () => finish(true) }, 'Log out');

  replace(
    env.root,
    h(
      'div',
      { class: 'shell' },
      h(
        'header',
        { class: 'topbar' },
        h('span', { class: 'brand' }, 'presenced'),
        conn,
        h('span', { class: 'spacer' }),
        h('span', { class: 'whoami' }, me),
        logout,
      ),
      h(
        'main',
        { class: 'layout' },
        roomsPanel.el,
        roomView.el,
        h('aside', { class: 'sidebar', 'aria-label': 'People' }, mePanel.el, h('section', { class: 'panel contacts', 'aria-labelledby': 'contacts-h' }, h('h2', { id: 'contacts-h' }, 'Contacts'), contactList)),
      ),
      toast,
    ),
  );

  function renderPresence(): void {
    const now = Date.now();
    mePanel.update(
      {
        userId: me,
        displayName: displayName(model, me),
        deviceId: session.deviceId,
        info: model.presence.get(me) ?? null,
        choice: own.choice,
        deviceIdle: own.idle,
        appearOffline: own.appearOffline,
        statusMsg: own.statusMsg,
        idle: idleSetting,
        devices,
      },
      now,
    );
    renderContacts(contactList, model, now);
  }

  function renderRooms(timeline: boolean): void {
    roomsPanel.update(model, openRoomId);
    if (timeline) roomView.update(model, openRoomId ? (model.rooms.get(openRoomId) ?? null) : null);
  }

  // ---- activity -------------------------------------------------------------
  const onActivity = () => {
    tracker.activity();
    void own.activity()?.then(refreshDevicesSoon);
  };
  for (const ev of ACTIVITY_EVENTS) window.addEventListener(ev, onActivity, { capture: true, passive: true, signal: stopAll.signal });
  document.addEventListener('visibilitychange', () => tracker.setHidden(document.visibilityState === 'hidden'), { signal: stopAll.signal });

  const ticker = setInterval(renderPresence, TICK_MS);
  const devicesTicker = setInterval(refreshDevicesSoon, DEVICES_REFRESH_MS);

  function stop(): void {
    stopAll.abort();
    loop.stop();
    tracker.stop();
    clearInterval(ticker);
    clearInterval(devicesTicker);
    clearTimeout(devicesTimer);
    clearTimeout(toastTimer);
  }

  function finish(callServer: boolean): void {
    stop();
    const done = () => env.onLoggedOut();
    if (callServer) api.logout().then(done, done);
    else done();
  }

  renderPresence();
  renderRooms(true);
  tracker.start(document.visibilityState === 'hidden');
  if (tracker.idle) own.idle = true;
  void loop.start();
  return { stop };
}
