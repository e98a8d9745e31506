import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import type { Bus, BusMessage } from './types.js';

export interface RedisBusOptions {
  url: string;
  /** Prefix of every key and channel, so several clusters (or test runs) share one Redis. */
  prefix: string;
  /** This instance's name in cluster bookkeeping; random when absent. */
  instanceId?: string;
  onError?: (err: unknown) => void;
}

/** Creates an ioredis client that retries forever and never crashes the process. */
export function redisClient(url: string, onError?: (err: unknown) => void): Redis {
  const client = new Redis(url, {
    lazyConnect: false,
    maxRetriesPerRequest: 2,
    retryStrategy: (times) => Math.min(50 * times, 1000),
    enableOfflineQueue: true,
  });
  client.on('error', (err) => onError?.(err));
  return client;
}

/** Pub/sub between instances over one Redis channel. */
export class RedisBus implements Bus {
  readonly instanceId: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channel: string;
  private readonly handlers: ((msg: BusMessage) => void)[] = [];
  private readonly reconnectHandlers: (() => void)[] = [];
  private everReady = false;
  /** Messages received before open(): held until every subscriber is in place. */
  private held: string[] | null = [];

  constructor(private readonly opts: RedisBusOptions) {
    // A restarted instance with a fixed name is a new process: its old sync records must not look like its own.
    this.instanceId = `${opts.instanceId ?? 'i'}-${randomBytes(4).toString('hex')}`;
    this.channel = `${opts.prefix}:bus`;
    this.pub = redisClient(opts.url, opts.onError);
    this.sub = redisClient(opts.url, opts.onError);
    this.sub.on('message', (_ch: string, text: string) => {
      if (this.held) this.held.push(text);
      else this.deliver(text);
    });
    // ioredis re-subscribes on reconnect; a 'ready' after the first means messages may have been missed.
    this.sub.on('ready', () => {
      if (this.everReady) for (const h of this.reconnectHandlers) h();
      this.everReady = true;
    });
  }

  /** Subscribes; what arrives is held until open(), so state loaded meanwhile misses nothing. */
  async start(): Promise<void> {
    await this.sub.subscribe(this.channel);
  }

  /** Delivers the held messages, then every later one as it comes. */
  open(): void {
    const held = this.held ?? [];
    this.held = null;
    for (const text of held) this.deliver(text);
  }

  /** The command connection, for other Redis users of this instance (rate limits). */
  get redis(): Redis {
    return this.pub;
  }

  private deliver(text: string): void {
    let env: { from: string; msg: BusMessage };
    try {
      env = JSON.parse(text) as { from: string; msg: BusMessage };
    } catch {
      return;
    }
    if (env.from === this.instanceId) return;
    for (const h of this.handlers) {
      try {
        h(env.msg);
      } catch (e) {
        this.opts.onError?.(e);
      }
    }
  }

  publish(msg: BusMessage): void {
    this.pub.publish(this.channel, JSON.stringify({ from: this.instanceId, msg })).catch((e: unknown) => this.opts.onError?.(e));
  }

  subscribe(handler: (msg: BusMessage) => void): void {
    this.handlers.push(handler);
  }

  onReconnect(handler: () => void): void {
    this.reconnectHandlers.push(handler);
  }

  async close(): Promise<void> {
    this.sub.disconnect();
    this.pub.disconnect();
  }
}
