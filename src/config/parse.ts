/** Small typed readers for config values; each names the key in its error. */
export class ConfigError extends Error {
  constructor(readonly key: string, reason: string) {
    super(`${key}: ${reason}`);
  }
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Durations accept a number of milliseconds or a string such as "30s", "5m", "250ms". */
export function duration(key: string, v: unknown): number {
  if (typeof v === 'number' && Number.isFinite(v) && v >= 0) return Math.round(v);
  if (typeof v === 'string') {
    const m = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/.exec(v);
    if (m) return Math.round(Number(m[1]) * UNITS[m[2] ?? 'ms']);
  }
  throw new ConfigError(key, `expected a duration such as 30s, 5m or a number of milliseconds, got ${JSON.stringify(v)}`);
}

export function bool(key: string, v: unknown): boolean {
  if (typeof v === 'boolean') return v;
  if (v === 'true' || v === '1' || v === 'yes') return true;
  if (v === 'false' || v === '0' || v === 'no') return false;
  throw new ConfigError(key, `expected true or false, got ${JSON.stringify(v)}`);
}

export function int(key: string, v: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(key, `expected an integer from ${min} to ${max}, got ${JSON.stringify(v)}`);
  }
  return n;
}

export function num(key: string, v: unknown, min: number): number {
  const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
  if (typeof n !== 'number' || !Number.isFinite(n) || n < min) {
    throw new ConfigError(key, `expected a number of at least ${min}, got ${JSON.stringify(v)}`);
  }
  return n;
}

export function str(key: string, v: unknown, pattern?: RegExp, what = 'a string'): string {
  if (typeof v === 'number') v = String(v);
  if (typeof v !== 'string' || v === '' || (pattern && !pattern.test(v))) {
    throw new ConfigError(key, `expected ${what}, got ${JSON.stringify(v)}`);
  }
  return v;
}

export function oneOf<T extends string>(key: string, v: unknown, options: readonly T[]): T {
  if (typeof v === 'string' && (options as readonly string[]).includes(v)) return v as T;
  throw new ConfigError(key, `expected one of ${options.join(', ')}, got ${JSON.stringify(v)}`);
}

/** Byte sizes accept a number or "1M", "512K". */
export function bytes(key: string, v: unknown): number {
  if (typeof v === 'number' && Number.isInteger(v) && v > 0) return v;
  if (typeof v === 'string') {
    const m = /^\s*(\d+)\s*([KMG]?)B?\s*$/i.exec(v);
    if (m) return Number(m[1]) * ({ '': 1, K: 1024, M: 1024 ** 2, G: 1024 ** 3 } as Record<string, number>)[m[2].toUpperCase()];
  }
  throw new ConfigError(key, `expected a size such as 1M or a number of bytes, got ${JSON.stringify(v)}`);
}
