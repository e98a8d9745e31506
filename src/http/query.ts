/**
 * The query string parser for every route. Long-polling clients repeat the same long
 * value (an inline /sync filter, hundreds of percent-escapes) on every request, so long
 * values are decoded once and remembered; everything else is decoded as usual.
 */
const LONG = 64;
const MAX_REMEMBERED = 2_000;

export class QueryParser {
  private readonly decoded = new Map<string, string>();

  parse = (qs: string): Record<string, string | string[]> => {
    const out: Record<string, string | string[]> = Object.create(null) as Record<string, string | string[]>;
    if (qs === '') return out;
    for (const pair of qs.split('&')) {
      if (pair === '') continue;
      const eq = pair.indexOf('=');
      const key = this.decode(eq < 0 ? pair : pair.slice(0, eq));
      const value = eq < 0 ? '' : this.decodeValue(pair.slice(eq + 1));
      const prev = out[key];
      // A repeated key becomes an array, which a string-typed schema then refuses.
      out[key] = prev === undefined ? value : Array.isArray(prev) ? [...prev, value] : [prev, value];
    }
    return out;
  };

  private decodeValue(raw: string): string {
    if (raw.length < LONG) return this.decode(raw);
    let v = this.decoded.get(raw);
    if (v === undefined) {
      v = this.decode(raw);
      if (this.decoded.size >= MAX_REMEMBERED) this.decoded.clear();
      this.decoded.set(raw, v);
    }
    return v;
  }

  private decode(raw: string): string {
    if (raw.indexOf('%') < 0 && raw.indexOf('+') < 0) return raw;
    const spaced = raw.replace(/\+/g, ' ');
    try {
      return decodeURIComponent(spaced);
    } catch {
      // A malformed escape is kept as sent; the route's own checks then refuse the value.
      return spaced;
    }
  }
}
