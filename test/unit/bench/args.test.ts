import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { UsageError, checkTargetUrl, isLoopbackHost, parseBenchArgs, type BenchOptions } from '../../../bench/lib/args.js';

describe('loopback check', () => {
  test('accepts 127.0.0.0/8, localhost and ::1', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', '127.255.255.254', 'localhost', 'LOCALHOST', 'app.localhost', '[::1]', '::1', '::ffff:127.0.0.1']) {
      assert.equal(isLoopbackHost(h), true, h);
    }
  });

  test('refuses everything else', () => {
    for (const h of ['128.0.0.1', '10.0.0.1', '0.0.0.0', '192.168.1.1', 'example.org', 'localhost.example.org', '[::2]', '::ffff:10.0.0.1', '1270.0.0.1', '127.0.0.1.nip.io']) {
      assert.equal(isLoopbackHost(h), false, h);
    }
  });

  test('checkTargetUrl returns the origin of an http(s) loopback URL', () => {
    assert.equal(checkTargetUrl('http://127.0.0.1:8008/'), 'http://127.0.0.1:8008');
    assert.equal(checkTargetUrl('https://localhost:8448/x'), 'https://localhost:8448');
    assert.equal(checkTargetUrl('http://[::1]:8008'), 'http://[::1]:8008');
  });

  test('checkTargetUrl refuses remote hosts, other schemes and garbage', () => {
    assert.throws(() => checkTargetUrl('http://matrix.org'), UsageError);
    assert.throws(() => checkTargetUrl('http://10.1.1.1:8008'), UsageError);
    assert.throws(() => checkTargetUrl('ftp://127.0.0.1'), UsageError);
    assert.throws(() => checkTargetUrl('not a url'), UsageError);
  });
});

describe('parseBenchArgs', () => {
  const parse = (...a: string[]) => parseBenchArgs(a) as BenchOptions;

  test('defaults are small and bounded', () => {
    const o = parse('--url', 'http://127.0.0.1:8008', 'fanout');
    assert.equal(o.scenario, 'fanout');
    assert.equal(o.url, 'http://127.0.0.1:8008');
    assert.equal(o.duration, 10);
    assert.equal(o.observers, 50);
    assert.equal(o.rate, 0);
    assert.equal(o.count, 100_000);
    assert.equal(o.reuse, false);
    assert.equal(o.outDir, 'bench/out');
  });

  test('options are read and checked against their bounds', () => {
    const o = parse('population', '--url', 'http://localhost:8008', '--users', '10000', '--churn', '0.5', '--msg-rate', '20', '--reuse', '--pid', '1234');
    assert.equal(o.users, 10_000);
    assert.equal(o.churn, 0.5);
    assert.equal(o.msgRate, 20);
    assert.equal(o.reuse, true);
    assert.equal(o.pid, 1234);
    assert.throws(() => parse('fanout', '--url', 'http://127.0.0.1:1', '--duration', '601'), /between/);
    assert.throws(() => parse('fanout', '--url', 'http://127.0.0.1:1', '--observers', '2.5'), /integer/);
    assert.throws(() => parse('fanout', '--url', 'http://127.0.0.1:1', '--count', '0'), /between/);
  });

  test('a non-loopback target is refused before anything runs', () => {
    assert.throws(() => parse('fanout', '--url', 'http://203.0.113.5:8008'), /non-loopback/);
    assert.throws(() => parse('compare', '--url', 'http://127.0.0.1:1', '--url-b', 'http://example.com'), /non-loopback/);
  });

  test('scenario rules: a URL except for floor, a second URL for compare', () => {
    assert.throws(() => parse('fanout'), /needs --url/);
    assert.throws(() => parse('compare', '--url', 'http://127.0.0.1:1'), /--url-b/);
    assert.equal(parse('floor').url, undefined);
    assert.equal(parse('floor', '--scenario', 'population').inner, 'population');
    assert.throws(() => parse('nosuch', '--url', 'http://127.0.0.1:1'), /unknown scenario/);
    assert.throws(() => parse('--url', 'http://127.0.0.1:1'), /missing SCENARIO/);
    assert.throws(() => parse('floor', '--scenario', 'floor'), /--scenario/);
  });

  test('--help wins', () => {
    assert.equal(parseBenchArgs(['--help']), 'help');
  });
});
