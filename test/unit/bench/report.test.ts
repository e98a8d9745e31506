import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml, esc } from '../../../bench/lib/html.js';
import { AccountStore, accountsPath } from '../../../bench/lib/accounts.js';
import { formatTable } from '../../../bench/lib/report.js';
import { cdfPoints, logHistogram } from '../../../bench/lib/stats.js';

describe('HTML report', () => {
  const samples = [1, 2, 2, 3, 5, 8, 13, 21];
  const html = renderHtml({
    title: 'fanout <test>',
    meta: [['commit', 'abc']],
    table: [['figure', 'A'], ['p50', '3.00']],
    series: [{ name: 'A', histogram: logHistogram(samples), cdf: cdfPoints(samples) }],
    notes: ['a note & more'],
  });

  test('is self-contained: inline SVG, no scripts, stylesheets, images or fetched URLs', () => {
    assert.match(html, /<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.equal((html.match(/<svg/g) ?? []).length, 2, 'a histogram and a CDF');
    assert.doesNotMatch(html, /<script|<link|<img|url\(|src=|href=/i);
    const withoutNs = html.replace(/xmlns="http:\/\/www\.w3\.org\/2000\/svg"/g, '');
    assert.doesNotMatch(withoutNs, /https?:\/\//);
  });

  test('one bar per non-empty histogram bucket, one CDF line per series', () => {
    const nonEmpty = logHistogram(samples).counts.filter((c) => c > 0).length;
    assert.equal((html.match(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="[\d.]+" fill="#1f77b4" fill-opacity/g) ?? []).length, nonEmpty);
    assert.equal((html.match(/<polyline/g) ?? []).length, 1);
  });

  test('text is escaped', () => {
    assert.match(html, /fanout &lt;test&gt;/);
    assert.match(html, /a note &amp; more/);
    assert.equal(esc('"<&>'), '&quot;&lt;&amp;&gt;');
  });

  test('no deliveries: says so instead of plotting', () => {
    const empty = renderHtml({ title: 't', meta: [], table: [['figure']], series: [{ name: 'A', histogram: logHistogram([]), cdf: [] }], notes: [] });
    assert.match(empty, /No deliveries to plot/);
  });
});

describe('text table', () => {
  test('first column left-aligned, the others right-aligned to the widest cell', () => {
    const t = formatTable([['figure', 'A'], ['p50 ms', '3.5'], ['delivered', '12000']]).split('\n');
    assert.deepEqual(t, ['figure         A', 'p50 ms       3.5', 'delivered  12000']);
  });
});

describe('stored accounts', () => {
  test('one file per target, under the out directory', () => {
    assert.equal(accountsPath('bench/out', 'http://127.0.0.1:8008'), join('bench/out', 'accounts-127.0.0.1-8008.json'));
    assert.equal(accountsPath('o', 'http://[::1]:80'), join('o', 'accounts-___1_-80.json'));
  });

  test('saved accounts and rooms load back for the same origin only', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-acc-'));
    try {
      const path = join(dir, 'a.json');
      const s = new AccountStore(path, 'http://127.0.0.1:1');
      s.add({ userId: '@a:x', accessToken: 't' });
      s.setRooms('fanout:@a:x', ['!r:x', '5']);
      s.save();
      const again = new AccountStore(path, 'http://127.0.0.1:1');
      assert.equal(again.load(), true);
      assert.deepEqual(again.users, [{ userId: '@a:x', accessToken: 't' }]);
      assert.deepEqual(again.rooms('fanout:@a:x'), ['!r:x', '5']);
      assert.equal(new AccountStore(path, 'http://127.0.0.1:2').load(), false);
      assert.match(readFileSync(path, 'utf8'), /"version":1/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a store that must not persist writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'bench-acc-'));
    try {
      const path = join(dir, 'b.json');
      const s = new AccountStore(path, 'http://127.0.0.1:1', false);
      s.add({ userId: '@a:x', accessToken: 't' });
      s.save();
      assert.equal(new AccountStore(path, 'http://127.0.0.1:1').load(), false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
