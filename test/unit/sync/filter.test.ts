import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixError } from '../../../src/common/errors.js';
import {
  parseFilter,
  matchesEventFilter,
  matchesWildcard,
  roomAllowed,
  applyLimit,
  effectiveLimit,
  splitPropertyPath,
  filterEventFields,
  presenceFilterAllows,
  presenceLimit,
} from '../../../src/sync/filter.js';

function assertBadJson(fn: () => unknown, field: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MatrixError);
    assert.equal(e.status, 400);
    assert.equal(e.errcode, 'M_BAD_JSON');
    assert.ok(e.message.includes(field), `message ${JSON.stringify(e.message)} should name ${field}`);
    return true;
  });
}

void describe('parseFilter', () => {
  void test('accepts a full filter and keeps every known field', () => {
    const body = {
      event_fields: ['type', 'content.body'],
      event_format: 'federation',
      presence: { limit: 5, types: ['m.presence'], not_types: [], senders: ['@a:x'], not_senders: ['@b:x'] },
      account_data: { types: ['m.push_rules'] },
      room: {
        rooms: ['!r:x'],
        not_rooms: ['!s:x'],
        include_leave: true,
        timeline: {
          limit: 10, types: ['m.room.*'], rooms: ['!r:x'], not_rooms: [], contains_url: false,
          lazy_load_members: true, include_redundant_members: false, unread_thread_notifications: true,
        },
        state: { lazy_load_members: true },
        ephemeral: { not_types: ['m.typing'] },
        account_data: { limit: 1 },
      },
    };
    assert.deepEqual(parseFilter(body), body);
  });

  void test('an empty object is a valid filter', () => {
    assert.deepEqual(parseFilter({}), {});
  });

  void test('unknown keys are ignored and dropped', () => {
    assert.deepEqual(
      parseFilter({ foo: 1, presence: { bar: [1], limit: 2 }, room: { baz: true, timeline: { qux: 'x' } } }),
      { presence: { limit: 2 }, room: { timeline: {} } },
    );
  });

  void test('the filter must be an object', () => {
    for (const v of [null, [], 'x', 3]) assertBadJson(() => parseFilter(v), 'filter');
  });

  const cases: [string, unknown][] = [
    ['event_fields', { event_fields: 'content' }],
    ['event_fields', { event_fields: ['a', 1] }],
    ['event_format', { event_format: 'raw' }],
    ['presence', { presence: [] }],
    ['presence.limit', { presence: { limit: 0 } }],
    ['presence.limit', { presence: { limit: -3 } }],
    ['presence.limit', { presence: { limit: 1.5 } }],
    ['presence.limit', { presence: { limit: '10' } }],
    ['presence.limit', { presence: { limit: null } }],
    ['presence.types', { presence: { types: 'm.presence' } }],
    ['presence.not_senders', { presence: { not_senders: [null] } }],
    ['account_data.senders', { account_data: { senders: {} } }],
    ['room', { room: 'all' }],
    ['room.rooms', { room: { rooms: '!r:x' } }],
    ['room.not_rooms', { room: { not_rooms: [1] } }],
    ['room.include_leave', { room: { include_leave: 'true' } }],
    ['room.timeline', { room: { timeline: 5 } }],
    ['room.timeline.limit', { room: { timeline: { limit: 1e400 } } }],
    ['room.state.lazy_load_members', { room: { state: { lazy_load_members: 1 } } }],
    ['room.timeline.contains_url', { room: { timeline: { contains_url: 'yes' } } }],
    ['room.ephemeral.include_redundant_members', { room: { ephemeral: { include_redundant_members: null } } }],
    ['room.timeline.unread_thread_notifications', { room: { timeline: { unread_thread_notifications: 0 } } }],
    ['room.account_data.rooms', { room: { account_data: { rooms: [true] } } }],
  ];
  for (const [field, body] of cases) {
    void test(`rejects a bad ${field}: ${JSON.stringify(body)}`, () => assertBadJson(() => parseFilter(body), field));
  }

  void test('does not share arrays with the input', () => {
    const types = ['a'];
    const f = parseFilter({ presence: { types } });
    types.push('b');
    assert.deepEqual(f.presence?.types, ['a']);
  });
});

void describe('matchesWildcard', () => {
  void test('exact without *', () => {
    assert.equal(matchesWildcard('m.room.message', 'm.room.message'), true);
    assert.equal(matchesWildcard('m.room.message', 'm.room.messages'), false);
  });
  void test('prefix, suffix, middle and bare *', () => {
    assert.equal(matchesWildcard('m.*', 'm.room.message'), true);
    assert.equal(matchesWildcard('m.*', 'org.m.x'), false);
    assert.equal(matchesWildcard('*.message', 'm.room.message'), true);
    assert.equal(matchesWildcard('*.message', 'm.room.messages'), false);
    assert.equal(matchesWildcard('m.*.message', 'm.room.message'), true);
    assert.equal(matchesWildcard('m.*.message', 'm.message'), false);
    assert.equal(matchesWildcard('*', ''), true);
    assert.equal(matchesWildcard('a*b*c', 'abc'), true);
    assert.equal(matchesWildcard('a*b*c', 'acb'), false);
    assert.equal(matchesWildcard('a*bb*bc', 'abbc'), false); // pieces may not overlap
  });
  void test('regex metacharacters are literal', () => {
    assert.equal(matchesWildcard('m.room', 'mxroom'), false);
    assert.equal(matchesWildcard('a+(b)', 'a+(b)'), true);
  });
});

void describe('matchesEventFilter', () => {
  const ev = { type: 'm.room.message', sender: '@a:x', room_id: '!r:x', content: { body: 'hi' } };

  void test('no filter or an empty filter matches everything', () => {
    assert.equal(matchesEventFilter(undefined, ev), true);
    assert.equal(matchesEventFilter({}, ev), true);
  });

  void test('types with wildcards', () => {
    assert.equal(matchesEventFilter({ types: ['m.room.message'] }, ev), true);
    assert.equal(matchesEventFilter({ types: ['m.*'] }, ev), true);
    assert.equal(matchesEventFilter({ types: ['m.room.member'] }, ev), false);
    assert.equal(matchesEventFilter({ types: [] }, ev), false);
  });

  void test('not_types wins over types', () => {
    assert.equal(matchesEventFilter({ types: ['m.*'], not_types: ['m.room.message'] }, ev), false);
    assert.equal(matchesEventFilter({ types: ['m.room.message'], not_types: ['*'] }, ev), false);
    assert.equal(matchesEventFilter({ not_types: ['m.room.member'] }, ev), true);
  });

  void test('senders and not_senders are exact', () => {
    assert.equal(matchesEventFilter({ senders: ['@a:x'] }, ev), true);
    assert.equal(matchesEventFilter({ senders: ['@b:x'] }, ev), false);
    assert.equal(matchesEventFilter({ senders: ['@*'] }, ev), false);
    assert.equal(matchesEventFilter({ senders: ['@a:x'], not_senders: ['@a:x'] }, ev), false);
    assert.equal(matchesEventFilter({ not_senders: ['@b:x'] }, ev), true);
  });

  void test('rooms and not_rooms', () => {
    assert.equal(matchesEventFilter({ rooms: ['!r:x'] }, ev), true);
    assert.equal(matchesEventFilter({ rooms: ['!s:x'] }, ev), false);
    assert.equal(matchesEventFilter({ rooms: ['!r:x'], not_rooms: ['!r:x'] }, ev), false);
    assert.equal(matchesEventFilter({ not_rooms: ['!s:x'] }, ev), true);
  });

  void test('room lists do not apply to events without room_id', () => {
    assert.equal(matchesEventFilter({ rooms: ['!s:x'] }, { type: 't', sender: '@a:x' }), true);
  });

  void test('contains_url', () => {
    const withUrl = { ...ev, content: { url: 'mxc://x/y' } };
    const badUrl = { ...ev, content: { url: 5 } };
    const noContent = { type: 't', sender: '@a:x' };
    assert.equal(matchesEventFilter({ contains_url: true }, withUrl), true);
    assert.equal(matchesEventFilter({ contains_url: true }, ev), false);
    assert.equal(matchesEventFilter({ contains_url: true }, badUrl), false);
    assert.equal(matchesEventFilter({ contains_url: true }, noContent), false);
    assert.equal(matchesEventFilter({ contains_url: false }, withUrl), false);
    assert.equal(matchesEventFilter({ contains_url: false }, ev), true);
    assert.equal(matchesEventFilter({ contains_url: false }, noContent), true);
  });

  void test('all conditions must hold', () => {
    assert.equal(matchesEventFilter({ types: ['m.*'], senders: ['@a:x'], rooms: ['!r:x'] }, ev), true);
    assert.equal(matchesEventFilter({ types: ['m.*'], senders: ['@a:x'], rooms: ['!q:x'] }, ev), false);
  });
});

void describe('roomAllowed', () => {
  void test('absent filter or lists allow all', () => {
    assert.equal(roomAllowed(undefined, '!r:x'), true);
    assert.equal(roomAllowed({}, '!r:x'), true);
  });
  void test('rooms restricts, not_rooms excludes and wins', () => {
    assert.equal(roomAllowed({ rooms: ['!r:x'] }, '!r:x'), true);
    assert.equal(roomAllowed({ rooms: ['!r:x'] }, '!s:x'), false);
    assert.equal(roomAllowed({ rooms: [] }, '!r:x'), false);
    assert.equal(roomAllowed({ rooms: ['!r:x'], not_rooms: ['!r:x'] }, '!r:x'), false);
    assert.equal(roomAllowed({ not_rooms: ['!r:x'] }, '!s:x'), true);
  });
});

void describe('limits', () => {
  void test('effectiveLimit: filter, then default, then unlimited; capped by max', () => {
    assert.equal(effectiveLimit(5), 5);
    assert.equal(effectiveLimit(undefined), Infinity);
    assert.equal(effectiveLimit(undefined, { defaultLimit: 10 }), 10);
    assert.equal(effectiveLimit(500, { defaultLimit: 10, maxLimit: 100 }), 100);
    assert.equal(effectiveLimit(undefined, { maxLimit: 100 }), 100);
  });

  void test('applyLimit keeps the first n by default', () => {
    assert.deepEqual(applyLimit([1, 2, 3, 4], 2), { items: [1, 2], limited: true });
  });

  void test('applyLimit keeps the last n for timelines', () => {
    assert.deepEqual(applyLimit([1, 2, 3, 4], 2, { keep: 'last' }), { items: [3, 4], limited: true });
  });

  void test('applyLimit: not limited when everything fits', () => {
    assert.deepEqual(applyLimit([1, 2], 2), { items: [1, 2], limited: false });
    assert.deepEqual(applyLimit([1, 2], undefined), { items: [1, 2], limited: false });
  });

  void test('applyLimit uses default and max', () => {
    assert.deepEqual(applyLimit([1, 2, 3], undefined, { defaultLimit: 1 }), { items: [1], limited: true });
    assert.deepEqual(applyLimit([1, 2, 3], 3, { maxLimit: 2 }), { items: [1, 2], limited: true });
  });

  void test('applyLimit does not return the input array', () => {
    const input = [1];
    const { items } = applyLimit(input, 5);
    items.push(2);
    assert.deepEqual(input, [1]);
  });
});

void describe('event_fields', () => {
  void test('splitPropertyPath handles escapes per the spec appendix', () => {
    assert.deepEqual(splitPropertyPath('content.body'), ['content', 'body']);
    assert.deepEqual(splitPropertyPath('content.m\\.relates_to'), ['content', 'm.relates_to']);
    assert.deepEqual(splitPropertyPath('content.m\\\\foo'), ['content', 'm\\foo']);
    assert.deepEqual(splitPropertyPath('a\\xb'), ['a\\xb']);
    assert.deepEqual(splitPropertyPath('type'), ['type']);
  });

  const ev = {
    type: 'm.room.message',
    sender: '@a:x',
    event_id: '$e',
    content: { body: 'hi', msgtype: 'm.text', 'm.relates_to': { rel_type: 'm.thread' } },
    unsigned: { age: 5 },
  };

  void test('keeps only the listed fields', () => {
    assert.deepEqual(filterEventFields(ev, ['type', 'content.body']), { type: 'm.room.message', content: { body: 'hi' } });
  });

  void test('escaped dots reach keys containing dots', () => {
    assert.deepEqual(filterEventFields(ev, ['content.m\\.relates_to.rel_type']), {
      content: { 'm.relates_to': { rel_type: 'm.thread' } },
    });
  });

  void test('absent paths and paths through non-objects are skipped', () => {
    assert.deepEqual(filterEventFields(ev, ['nope', 'content.body.length', 'type']), { type: 'm.room.message' });
  });

  void test('absent or empty list keeps the event', () => {
    assert.equal(filterEventFields(ev, undefined), ev);
    assert.equal(filterEventFields(ev, []), ev);
  });

  void test('a whole object and a path inside it combine without touching the input', () => {
    const copy = structuredClone(ev);
    const out = filterEventFields(ev, ['content', 'content.body', 'unsigned.age']);
    assert.deepEqual(out, { content: ev.content, unsigned: { age: 5 } });
    assert.deepEqual(ev, copy);
    assert.notEqual(out.content, ev.content);
  });

  void test('a __proto__ key is copied as data, not as a prototype', () => {
    const hostile = JSON.parse('{"type":"t","content":{"__proto__":{"polluted":1}}}') as object;
    const out = filterEventFields(hostile, ['content.__proto__.polluted']) as Record<string, any>;
    assert.equal(Object.hasOwn(out.content, '__proto__'), true);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(out.content), Object.prototype);
  });
});

void describe('presence filter', () => {
  void test('no filter allows everyone', () => {
    assert.equal(presenceFilterAllows(undefined, '@a:x'), true);
  });
  void test('senders and not_senders select users', () => {
    assert.equal(presenceFilterAllows({ senders: ['@a:x'] }, '@a:x'), true);
    assert.equal(presenceFilterAllows({ senders: ['@a:x'] }, '@b:x'), false);
    assert.equal(presenceFilterAllows({ not_senders: ['@a:x'] }, '@a:x'), false);
  });
  void test('types apply to m.presence', () => {
    assert.equal(presenceFilterAllows({ types: ['m.presence'] }, '@a:x'), true);
    assert.equal(presenceFilterAllows({ types: ['m.*'] }, '@a:x'), true);
    assert.equal(presenceFilterAllows({ not_types: ['*'] }, '@a:x'), false);
    assert.equal(presenceFilterAllows({ types: [] }, '@a:x'), false);
  });
  void test('presenceLimit reads the limit', () => {
    assert.equal(presenceLimit(undefined), undefined);
    assert.equal(presenceLimit({}), undefined);
    assert.equal(presenceLimit({ limit: 3 }), 3);
  });
});
