/** A self-contained HTML report: inline SVG latency histogram and CDF, figure table, no external assets. */
import type { Histogram } from './stats.js';

export interface HtmlSeries {
  name: string;
  histogram: Histogram;
  cdf: [number, number][];
}

export interface HtmlInput {
  title: string;
  meta: [string, string][];
  /** Header row then body rows, already formatted. */
  table: string[][];
  series: HtmlSeries[];
  notes: string[];
  mix?: unknown;
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];
const W = 720;
const H = 300;
const PAD = { l: 60, r: 20, t: 30, b: 44 };

export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

function fmtMs(v: number): string {
  return v >= 100 ? v.toFixed(0) : v >= 1 ? v.toFixed(1) : v.toFixed(2);
}

/** Log-scaled x axis shared by both plots, from the smallest to the largest value of all series. */
function xScale(lo: number, hi: number): (v: number) => number {
  const a = Math.log10(Math.max(lo, 1e-3));
  const b = Math.log10(Math.max(hi, lo * 10, 1e-2));
  return (v) => PAD.l + ((Math.log10(Math.max(v, 1e-3)) - a) / (b - a)) * (W - PAD.l - PAD.r);
}

function xTicks(lo: number, hi: number, x: (v: number) => number): string {
  const out: string[] = [];
  for (let e = Math.floor(Math.log10(Math.max(lo, 1e-3))); 10 ** e <= hi * 1.0001; e++) {
    const v = 10 ** e;
    if (v < lo * 0.999) continue;
    const px = x(v).toFixed(1);
    out.push(`<line x1="${px}" x2="${px}" y1="${PAD.t}" y2="${H - PAD.b}" stroke="#ddd"/><text x="${px}" y="${H - PAD.b + 16}" text-anchor="middle">${fmtMs(v)}</text>`);
  }
  return out.join('');
}

function frame(body: string, yLabel: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">
<rect x="${PAD.l}" y="${PAD.t}" width="${W - PAD.l - PAD.r}" height="${H - PAD.t - PAD.b}" fill="none" stroke="#999"/>
${body}
<text x="${(W + PAD.l) / 2}" y="${H - 8}" text-anchor="middle">delivery latency, ms (log scale)</text>
<text transform="translate(14 ${(H - PAD.b + PAD.t) / 2}) rotate(-90)" text-anchor="middle">${yLabel}</text>
</svg>`;
}

function range(series: HtmlSeries[]): [number, number] | undefined {
  let lo = Infinity;
  let hi = -Infinity;
  for (const s of series) {
    s.histogram.counts.forEach((c, i) => {
      if (c === 0) return;
      lo = Math.min(lo, s.histogram.edges[i]);
      hi = Math.max(hi, s.histogram.edges[i + 1]);
    });
  }
  return Number.isFinite(lo) ? [lo, hi] : undefined;
}

export function histogramSvg(series: HtmlSeries[]): string {
  const r = range(series);
  if (!r) return '<p>No deliveries to plot.</p>';
  const x = xScale(r[0], r[1]);
  const peak = Math.max(...series.map((s) => Math.max(...s.histogram.counts.map((c, _i) => c / Math.max(1, total(s))))));
  const y = (f: number) => H - PAD.b - (f / peak) * (H - PAD.t - PAD.b);
  const bars = series.map((s, si) => {
    const n = Math.max(1, total(s));
    return s.histogram.counts
      .map((c, i) => {
        if (c === 0) return '';
        const x0 = x(s.histogram.edges[i]);
        const x1 = x(s.histogram.edges[i + 1]);
        const top = y(c / n);
        return `<rect x="${x0.toFixed(1)}" y="${top.toFixed(1)}" width="${Math.max(0.5, x1 - x0 - 0.5).toFixed(1)}" height="${(H - PAD.b - top).toFixed(1)}" fill="${COLORS[si % COLORS.length]}" fill-opacity="0.55"><title>${esc(s.name)}: ${fmtMs(s.histogram.edges[i])}-${fmtMs(s.histogram.edges[i + 1])} ms: ${c}</title></rect>`;
      })
      .join('');
  });
  return frame(xTicks(r[0], r[1], x) + bars.join('') + legend(series) + yTicks((v) => y(v), peak, true), 'share of deliveries');
}

function total(s: HtmlSeries): number {
  return s.histogram.counts.reduce((a, b) => a + b, 0);
}

function yTicks(y: (v: number) => number, top: number, percent: boolean): string {
  const out: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4;
    out.push(`<text x="${PAD.l - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${percent ? `${(v * 100).toFixed(v * 100 < 10 ? 1 : 0)}%` : v.toFixed(2)}</text>`);
  }
  return out.join('');
}

function legend(series: HtmlSeries[]): string {
  return series
    // Above the plot area, so it never hides bars or lines.
    .map((s, i) => `<rect x="${PAD.l + i * 180}" y="8" width="10" height="10" fill="${COLORS[i % COLORS.length]}"/><text x="${PAD.l + 15 + i * 180}" y="17">${esc(s.name.length > 28 ? `${s.name.slice(0, 27)}…` : s.name)}</text>`)
    .join('');
}

export function cdfSvg(series: HtmlSeries[]): string {
  const r = range(series);
  if (!r) return '';
  const x = xScale(r[0], r[1]);
  const y = (f: number) => H - PAD.b - f * (H - PAD.t - PAD.b);
  const lines = series.map((s, si) => {
    const pts = s.cdf.map(([v, f]) => `${x(v).toFixed(1)},${y(f).toFixed(1)}`).join(' ');
    return `<polyline points="${pts}" fill="none" stroke="${COLORS[si % COLORS.length]}" stroke-width="2"/>`;
  });
  const guides = [0.5, 0.95, 0.99].map((f) => `<line x1="${PAD.l}" x2="${W - PAD.r}" y1="${y(f)}" y2="${y(f)}" stroke="#eee"/><text x="${PAD.l + 4}" y="${y(f) - 3}" fill="#888">p${Math.round(f * 100)}</text>`);
  return frame(xTicks(r[0], r[1], x) + guides.join('') + lines.join('') + legend(series) + yTicks(y, 1, false), 'fraction delivered within');
}

export function renderHtml(h: HtmlInput): string {
  const rows = h.table.map((r, i) => `<tr>${r.map((c) => (i === 0 ? `<th>${esc(c)}</th>` : `<td>${esc(c)}</td>`)).join('')}</tr>`).join('\n');
  const meta = h.meta.map(([k, v]) => `<tr><th>${esc(k)}</th><td>${esc(v)}</td></tr>`).join('\n');
  const notes = h.notes.length ? `<h2>Notes</h2><ul>${h.notes.map((n) => `<li>${esc(n)}</li>`).join('')}</ul>` : '';
  const mix = h.mix === undefined ? '' : `<h2>Room mix</h2><pre>${esc(JSON.stringify(h.mix, null, 2))}</pre>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(h.title)}</title>
<style>body{font-family:sans-serif;margin:2em;max-width:800px}table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f4f4f4}td:first-child,th:first-child{text-align:left}table.meta td{text-align:left}pre{background:#f8f8f8;padding:1em;overflow:auto}</style>
</head><body>
<h1>${esc(h.title)}</h1>
<table class="meta">${meta}</table>
<h2>Figures</h2>
<table>${rows}</table>
<h2>Delivery latency: histogram</h2>
${histogramSvg(h.series)}
<h2>Delivery latency: cumulative</h2>
${cdfSvg(h.series)}
${notes}
${mix}
</body></html>
`;
}
