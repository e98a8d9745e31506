/**
 * This device's side of presence: the user's chosen state, the idle tracker's verdict,
 * the status message and appear-offline, turned into the server calls of seed 004.
 *
 * - Choice "online": idle sets this device `idle` through the per-device API, activity
 *   sets it `online`. While active, activity is reported again every `heartbeatMs` so the
 *   server's own idle timer (which knows nothing of mouse moves) does not fire under a
 *   user who is reading.
 * - Choice "away": the device stays `idle` whatever the mouse does.
 * - /sync carries `set_presence` matching the above (`unavailable` when idle or away).
 * - A status message is sent with `hidden` while appearing offline, because `PUT status`
 *   with a visible state would clear appear-offline (docs/presence.md §6).
 * Calls go out one at a time, in order, so "idle" then "online" never arrive swapped.
 */
import type { DeviceState, SyncPresence } from './api.js';
import type { PresenceInfo } from './model.js';

export type Choice = 'online' | 'away';

export interface OwnPresenceApi {
  setDeviceState(state: DeviceState): Promise<unknown>;
  setStatus(presence: 'online' | 'unavailable' | 'hidden', statusMsg: string | null): Promise<unknown>;
  setAppearOffline(on: boolean): Promise<unknown>;
}

export interface OwnPresenceOptions {
  now: () => number;
  heartbeatMs: number;
  /** The `set_presence` /sync should use changed: restart the long-poll. */
  onSyncPresenceChanged: () => void;
  onError: (err: unknown) => void;
}

export const HEARTBEAT_MS = 30_000;

export class OwnPresence {
  idle = false;
  appearOffline = false;
  statusMsg: string | null = null;
  private lastReport: number;
  private queue: Promise<void> = Promise.resolve();
  private pending = 0;

  constructor(
    private readonly api: OwnPresenceApi,
    private readonly o: OwnPresenceOptions,
    public choice: Choice = 'online',
  ) {
    // The first /sync with set_presence=online counts as activity on the server.
    this.lastReport = o.now();
  }

  /** What /sync should send as `set_presence`. */
  syncPresence(): Extract<SyncPresence, 'online' | 'unavailable'> {
    return this.choice === 'away' || this.idle ? 'unavailable' : 'online';
  }

  /** The state this device is in, as the per-device API names it. */
  deviceState(): 'online' | 'idle' {
    return this.syncPresence() === 'online' ? 'online' : 'idle';
  }

  /** Runs calls one after another; a failure is reported and does not block the next. */
  private enqueue(fn: () => Promise<unknown>): Promise<void> {
    this.pending++;
    this.queue = this.queue.then(fn).then(
      () => {
        this.pending--;
      },
      (err: unknown) => {
        this.pending--;
        this.lastReport = -Infinity;
        this.o.onError(err);
      },
    );
    return this.queue;
  }

  /** From the idle tracker. */
  idleChanged(idle: boolean): Promise<void> {
    const before = this.syncPresence();
    this.idle = idle;
    if (this.choice !== 'online') return this.queue;
    if (!idle) this.lastReport = this.o.now();
    const p = this.enqueue(() => this.api.setDeviceState(idle ? 'idle' : 'online'));
    return before === this.syncPresence() ? p : p.then(() => this.o.onSyncPresenceChanged());
  }

  /** Mouse, keyboard, touch or focus while active: an occasional keep-alive. */
  activity(): Promise<void> | null {
    if (this.choice !== 'online' || this.idle) return null;
    const now = this.o.now();
    if (now - this.lastReport < this.o.heartbeatMs) return null;
    this.lastReport = now;
    return this.enqueue(() => this.api.setDeviceState('online'));
  }

  setChoice(choice: Choice): Promise<void> {
    const before = this.syncPresence();
    this.choice = choice;
    // Choosing is itself activity: the user is here.
    if (choice === 'online') {
      this.idle = false;
      this.lastReport = this.o.now();
    }
    const p = this.enqueue(() => this.api.setDeviceState(choice === 'online' ? 'online' : 'idle'));
    return before === this.syncPresence() ? p : p.then(() => this.o.onSyncPresenceChanged());
  }

  setStatusMessage(msg: string): Promise<void> {
    const text = msg.trim() === '' ? null : msg.trim();
    this.statusMsg = text;
    const presence = this.appearOffline ? 'hidden' : this.syncPresence();
    if (presence === 'online') this.lastReport = this.o.now();
    return this.enqueue(() => this.api.setStatus(presence, text));
  }

  setAppearOffline(on: boolean): Promise<void> {
    this.appearOffline = on;
    return this.enqueue(() => this.api.setAppearOffline(on));
  }

  /**
   * The user's own m.presence (another device may have changed the message or the flag).
   * Ignored while our own calls are in flight: the update may predate them.
   */
  fromServer(info: PresenceInfo): void {
    if (this.pending > 0) return;
    this.appearOffline = info.appearOffline;
    this.statusMsg = info.statusMsg;
  }
}
