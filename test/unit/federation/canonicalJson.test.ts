import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalJson } from '../../../src/federation/canonicalJson.js';

void describe('canonicalJson: spec appendix examples', () => {
  // Input JSON text → expected canonical output, from the "Canonical JSON" examples.
  const cases: Array<[string, string]> = [
    ['{}', '{}'],
    ['{\n    "one": 1,\n    "two": "Two"\n}', '{"one":1,"two":"Two"}'],
    ['{\n    "b": "2",\n    "a": "1"\n}', '{"a":"1","b":"2"}'],
    ['{"b":"2","a":"1"}', '{"a":"1","b":"2"}'],
    [
      `{"auth": {"success": true, "mxid": "@john.doe:example.com", "profile": {"display_name": "John Doe",
        "three_pids": [{"medium": "email", "address": "john.doe@example.org"},
                       {"medium": "msisdn", "address": "123456789"}]}}}`,
      '{"auth":{"mxid":"@john.doe:example.com","profile":{"display_name":"John Doe","three_pids":[{"address":"john.doe@example.org","medium":"email"},{"address":"123456789","medium":"msisdn"}]},"success":true}}',
    ],
    ['{"a": "日本語"}', '{"a":"日本語"}'],
    ['{"本": 2, "日": 1}', '{"日":1,"本":2}'],
    ['{"a": "\\u65E5"}', '{"a":"日"}'],
    ['{"a": null}', '{"a":null}'],
    ['{"a": -0, "b": 1e10}', '{"a":0,"b":10000000000}'],
  ];
  for (const [input, expected] of cases) {
    void test(`${input.replace(/\s+/g, ' ').slice(0, 50)} → ${expected.slice(0, 40)}`, () => {
      assert.equal(canonicalJson(JSON.parse(input)), expected);
    });
  }
});

void describe('canonicalJson: encoding details', () => {
  void test('sorts keys by code point, not by UTF-16 code unit', () => {
    // U+FFFF < U+10000 by code point; as UTF-16 the surrogate 0xD800 sorts first.
    assert.equal(canonicalJson({ '\u{10000}': 1, '\uffff': 2 }), '{"\uffff":2,"\u{10000}":1}');
    assert.equal(canonicalJson({ b: 1, a: 2, A: 3, aa: 4 }), '{"A":3,"a":2,"aa":4,"b":1}');
  });

  void test('escapes only what JSON requires, with the short escapes where they exist', () => {
    const s = '\u0000\b\t\n\u000b\f\r\u001f"\\/\u007f\u2028é😀';
    assert.equal(canonicalJson(s), '"\\u0000\\b\\t\\n\\u000b\\f\\r\\u001f\\"\\\\/\u007f\u2028é😀"');
  });

  void test('sorts keys in nested objects inside arrays and has no whitespace', () => {
    assert.equal(canonicalJson([{ z: [true, false], y: { b: null, a: 'x' } }, 0]), '[{"y":{"a":"x","b":null},"z":[true,false]},0]');
  });

  void test('accepts the integer range limits', () => {
    assert.equal(canonicalJson([2 ** 53 - 1, -(2 ** 53) + 1]), '[9007199254740991,-9007199254740991]');
  });

  void test('leaves out object members whose value is undefined, like JSON.stringify', () => {
    assert.equal(canonicalJson({ a: 1, b: undefined }), '{"a":1}');
  });

  void test('accepts null-prototype objects and repeated (non-cyclic) references', () => {
    const shared = { x: 1 };
    const o = Object.assign(Object.create(null) as object, { a: shared, b: shared });
    assert.equal(canonicalJson(o), '{"a":{"x":1},"b":{"x":1}}');
  });
});

void describe('canonicalJson: rejects values with no canonical form', () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const bad: Array<[string, unknown]> = [
    ['a float', { a: 1.5 }],
    ['2^53', 2 ** 53],
    ['-(2^53)', -(2 ** 53)],
    ['NaN', NaN],
    ['Infinity', [Infinity]],
    ['undefined at top level', undefined],
    ['undefined in an array', [undefined]],
    ['a function', { f: () => 1 }],
    ['a symbol', Symbol('x')],
    ['a bigint', 1n],
    ['a Date', new Date(0)],
    ['a Map', new Map()],
    ['a Buffer', Buffer.from('x')],
    ['a cycle', cyclic],
    ['an unpaired high surrogate', '\ud800'],
    ['an unpaired low surrogate in a key', { '\udc00x': 1 }],
  ];
  for (const [name, value] of bad) {
    void test(name, () => assert.throws(() => canonicalJson(value), TypeError));
  }
});
