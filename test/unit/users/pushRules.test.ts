import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { MatrixError } from '../../../src/common/errors.js';
import {
  RULE_KINDS,
  defaultPushRules,
  mergeRules,
  getRule,
  putRule,
  deleteRule,
  setEnabled,
  setActions,
  parseActions,
  isRuleKind,
  type PushRulesDoc,
} from '../../../src/users/pushRules.js';

const ME = '@alice:example.org';

function assertError(fn: () => unknown, status: number, errcode: string) {
  assert.throws(fn, (e: unknown) => {
    assert.ok(e instanceof MatrixError, String(e));
    assert.equal(e.status, status);
    assert.equal(e.errcode, errcode);
    return true;
  });
}

const ids = (rules: { rule_id: string }[]) => rules.map((r) => r.rule_id);

void describe('defaultPushRules', () => {
  const { global } = defaultPushRules(ME);

  void test('has the spec rule ids in priority order', () => {
    assert.deepEqual(ids(global.override), [
      '.m.rule.master',
      '.m.rule.suppress_notices',
      '.m.rule.invite_for_me',
      '.m.rule.member_event',
      '.m.rule.is_user_mention',
      '.m.rule.is_room_mention',
      '.m.rule.tombstone',
      '.m.rule.reaction',
      '.m.rule.room.server_acl',
      '.m.rule.suppress_edits',
    ]);
    assert.deepEqual(ids(global.content), ['.m.rule.contains_user_name']);
    assert.deepEqual(global.room, []);
    assert.deepEqual(global.sender, []);
    assert.deepEqual(ids(global.underride), [
      '.m.rule.call',
      '.m.rule.encrypted_room_one_to_one',
      '.m.rule.room_one_to_one',
      '.m.rule.message',
      '.m.rule.encrypted',
    ]);
  });

  void test('every rule is default; only master is disabled', () => {
    for (const kind of RULE_KINDS) {
      for (const r of global[kind]) {
        assert.equal(r.default, true, r.rule_id);
        assert.equal(r.enabled, r.rule_id !== '.m.rule.master', r.rule_id);
      }
    }
  });

  void test('master matches everything and does nothing', () => {
    assert.deepEqual(global.override[0], {
      rule_id: '.m.rule.master', default: true, enabled: false, conditions: [], actions: [],
    });
  });

  void test('invite_for_me targets the user ID', () => {
    const r = global.override.find((x) => x.rule_id === '.m.rule.invite_for_me');
    assert.deepEqual(r?.conditions, [
      { kind: 'event_match', key: 'type', pattern: 'm.room.member' },
      { kind: 'event_match', key: 'content.membership', pattern: 'invite' },
      { kind: 'event_match', key: 'state_key', pattern: ME },
    ]);
    assert.deepEqual(r?.actions, ['notify', { set_tweak: 'sound', value: 'default' }]);
  });

  void test('is_user_mention looks for the user ID in m.mentions with an escaped key', () => {
    const r = global.override.find((x) => x.rule_id === '.m.rule.is_user_mention');
    assert.deepEqual(r?.conditions, [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: ME }]);
    assert.deepEqual(r?.actions, ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }]);
  });

  void test('is_room_mention needs the sender permission', () => {
    const r = global.override.find((x) => x.rule_id === '.m.rule.is_room_mention');
    assert.deepEqual(r?.conditions, [
      { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
      { kind: 'sender_notification_permission', key: 'room' },
    ]);
    assert.deepEqual(r?.actions, ['notify', { set_tweak: 'highlight' }]);
  });

  void test('tombstone and server_acl only match state events', () => {
    for (const id of ['.m.rule.tombstone', '.m.rule.room.server_acl']) {
      const r = global.override.find((x) => x.rule_id === id);
      assert.deepEqual(r?.conditions?.[1], { kind: 'event_match', key: 'state_key', pattern: '' });
    }
  });

  void test('suppress_edits matches m.replace relations', () => {
    const r = global.override.find((x) => x.rule_id === '.m.rule.suppress_edits');
    assert.deepEqual(r?.conditions, [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }]);
    assert.deepEqual(r?.actions, []);
  });

  void test('contains_user_name is a content rule on the localpart', () => {
    assert.deepEqual(global.content[0], {
      rule_id: '.m.rule.contains_user_name',
      default: true,
      enabled: true,
      pattern: 'alice',
      actions: ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }],
    });
  });

  void test('underride conditions and actions', () => {
    const byId = Object.fromEntries(global.underride.map((r) => [r.rule_id, r]));
    assert.deepEqual(byId['.m.rule.call'].actions, ['notify', { set_tweak: 'sound', value: 'ring' }]);
    assert.deepEqual(byId['.m.rule.encrypted_room_one_to_one'].conditions, [
      { kind: 'room_member_count', is: '2' },
      { kind: 'event_match', key: 'type', pattern: 'm.room.encrypted' },
    ]);
    assert.deepEqual(byId['.m.rule.room_one_to_one'].conditions, [
      { kind: 'room_member_count', is: '2' },
      { kind: 'event_match', key: 'type', pattern: 'm.room.message' },
    ]);
    assert.deepEqual(byId['.m.rule.message'].actions, ['notify']);
    assert.deepEqual(byId['.m.rule.encrypted'].conditions, [{ kind: 'event_match', key: 'type', pattern: 'm.room.encrypted' }]);
  });

  void test('each call returns fresh objects', () => {
    const a = defaultPushRules(ME);
    (a.global.override[2].actions[1] as { value: string }).value = 'changed';
    assert.deepEqual(defaultPushRules(ME).global.override[2].actions[1], { set_tweak: 'sound', value: 'default' });
  });
});

void describe('mergeRules', () => {
  void test('an empty doc gives the defaults', () => {
    assert.deepEqual(mergeRules(ME, {}), defaultPushRules(ME));
  });

  void test('user rules rank above defaults of their kind, but below master', () => {
    let doc: PushRulesDoc = {};
    doc = putRule(doc, 'override', 'mine', { actions: ['notify'], conditions: [] });
    doc = putRule(doc, 'underride', 'low', { actions: [] });
    doc = putRule(doc, 'content', 'cake', { actions: ['notify'], pattern: 'cake' });
    const { global } = mergeRules(ME, doc);
    assert.deepEqual(ids(global.override).slice(0, 3), ['.m.rule.master', 'mine', '.m.rule.suppress_notices']);
    assert.deepEqual(ids(global.underride)[0], 'low');
    assert.deepEqual(ids(global.content), ['cake', '.m.rule.contains_user_name']);
    assert.equal(global.override[1].default, false);
  });

  void test('changes to defaults show up', () => {
    let doc = setEnabled({}, 'override', '.m.rule.master', true);
    doc = setActions(doc, 'underride', '.m.rule.message', ['notify', { set_tweak: 'sound', value: 'x' }]);
    const { global } = mergeRules(ME, doc);
    assert.equal(global.override[0].enabled, true);
    assert.deepEqual(global.override[0].actions, []);
    const msg = global.underride.find((r) => r.rule_id === '.m.rule.message');
    assert.deepEqual(msg?.actions, ['notify', { set_tweak: 'sound', value: 'x' }]);
    assert.equal(msg?.enabled, true);
  });
});

void describe('putRule', () => {
  void test('creates an enabled rule with the fields of its kind', () => {
    const doc = putRule({}, 'override', 'beer', {
      actions: ['notify'],
      conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'beer' }],
      pattern: 'ignored here',
    });
    assert.deepEqual(getRule(ME, doc, 'override', 'beer'), {
      rule_id: 'beer', default: false, enabled: true, actions: ['notify'],
      conditions: [{ kind: 'event_match', key: 'content.body', pattern: 'beer' }],
    });
  });

  void test('override without conditions gets an empty list', () => {
    assert.deepEqual(getRule(ME, putRule({}, 'underride', 'u', { actions: [] }), 'underride', 'u').conditions, []);
  });

  void test('room and sender rules carry neither conditions nor pattern', () => {
    let doc = putRule({}, 'room', '!r:x', { actions: [], conditions: [{ kind: 'x' }] });
    doc = putRule(doc, 'sender', '@spam:x', { actions: [], pattern: 'p' });
    assert.deepEqual(getRule(ME, doc, 'room', '!r:x'), { rule_id: '!r:x', default: false, enabled: true, actions: [] });
    assert.deepEqual(getRule(ME, doc, 'sender', '@spam:x'), { rule_id: '@spam:x', default: false, enabled: true, actions: [] });
  });

  void test('content rule keeps its pattern', () => {
    const doc = putRule({}, 'content', 'nocake', { actions: ['notify'], pattern: 'cake*lie' });
    assert.deepEqual(getRule(ME, doc, 'content', 'nocake'), {
      rule_id: 'nocake', default: false, enabled: true, actions: ['notify'], pattern: 'cake*lie',
    });
  });

  void test('new rules go first; before and after place them', () => {
    let doc = putRule({}, 'override', 'a', { actions: [] });
    doc = putRule(doc, 'override', 'b', { actions: [] });
    assert.deepEqual(ids(doc.rules?.override ?? []), ['b', 'a']);
    doc = putRule(doc, 'override', 'c', { actions: [] }, { after: 'b' });
    assert.deepEqual(ids(doc.rules?.override ?? []), ['b', 'c', 'a']);
    doc = putRule(doc, 'override', 'd', { actions: [] }, { before: 'a' });
    assert.deepEqual(ids(doc.rules?.override ?? []), ['b', 'c', 'd', 'a']);
    doc = putRule(doc, 'override', 'e', { actions: [] }, { after: 'a' });
    assert.deepEqual(ids(doc.rules?.override ?? []), ['b', 'c', 'd', 'a', 'e']);
  });

  void test('with both before and after, before decides', () => {
    let doc = putRule({}, 'override', 'a', { actions: [] });
    doc = putRule(doc, 'override', 'b', { actions: [] });
    doc = putRule(doc, 'override', 'c', { actions: [] }, { before: 'a', after: 'b' });
    assert.deepEqual(ids(doc.rules?.override ?? []), ['b', 'c', 'a']);
    doc = putRule(doc, 'override', 'd', { actions: [] }, { before: 'b', after: 'a' });
    assert.deepEqual(ids(doc.rules?.override ?? []), ['d', 'b', 'c', 'a']);
  });

  void test('updating keeps position and enabled unless moved', () => {
    let doc = putRule({}, 'override', 'a', { actions: [] });
    doc = putRule(doc, 'override', 'b', { actions: [] });
    doc = setEnabled(doc, 'override', 'a', false);
    doc = putRule(doc, 'override', 'a', { actions: ['notify'] });
    assert.deepEqual(ids(doc.rules?.override ?? []), ['b', 'a']);
    assert.equal(getRule(ME, doc, 'override', 'a').enabled, false);
    assert.deepEqual(getRule(ME, doc, 'override', 'a').actions, ['notify']);
    doc = putRule(doc, 'override', 'a', { actions: [] }, { before: 'b' });
    assert.deepEqual(ids(doc.rules?.override ?? []), ['a', 'b']);
  });

  void test('the same rule id may exist under different kinds', () => {
    let doc = putRule({}, 'override', 'x', { actions: [] });
    doc = putRule(doc, 'underride', 'x', { actions: ['notify'] });
    assert.deepEqual(getRule(ME, doc, 'override', 'x').actions, []);
    assert.deepEqual(getRule(ME, doc, 'underride', 'x').actions, ['notify']);
  });

  void test('does not modify its input', () => {
    const doc = putRule({}, 'override', 'a', { actions: [] });
    const copy = structuredClone(doc);
    putRule(doc, 'override', 'b', { actions: [] });
    putRule(doc, 'override', 'a', { actions: ['notify'] });
    assert.deepEqual(doc, copy);
  });

  void test('rejects unknown kinds', () => {
    assertError(() => putRule({}, 'global', 'x', { actions: [] }), 400, 'M_INVALID_PARAM');
  });

  void test('rejects reserved and malformed rule ids', () => {
    assertError(() => putRule({}, 'override', '.m.rule.master', { actions: [] }), 400, 'M_INVALID_PARAM');
    assertError(() => putRule({}, 'override', '.mine', { actions: [] }), 400, 'M_INVALID_PARAM');
    assertError(() => putRule({}, 'override', 'a/b', { actions: [] }), 400, 'M_INVALID_PARAM');
    assertError(() => putRule({}, 'override', 'a\\b', { actions: [] }), 400, 'M_INVALID_PARAM');
    assertError(() => putRule({}, 'override', '', { actions: [] }), 400, 'M_INVALID_PARAM');
    assertError(() => putRule({}, 'room', 'notaroom', { actions: [] }), 400, 'M_INVALID_PARAM');
    assertError(() => putRule({}, 'sender', '!r:x', { actions: [] }), 400, 'M_INVALID_PARAM');
  });

  void test('rejects bad bodies', () => {
    assertError(() => putRule({}, 'override', 'x', null), 400, 'M_BAD_JSON');
    assertError(() => putRule({}, 'override', 'x', {}), 400, 'M_MISSING_PARAM');
    assertError(() => putRule({}, 'override', 'x', { actions: 'notify' }), 400, 'M_BAD_JSON');
    assertError(() => putRule({}, 'override', 'x', { actions: [], conditions: {} }), 400, 'M_BAD_JSON');
    assertError(() => putRule({}, 'override', 'x', { actions: [], conditions: [{ key: 'type' }] }), 400, 'M_BAD_JSON');
    assertError(() => putRule({}, 'content', 'x', { actions: [] }), 400, 'M_MISSING_PARAM');
    assertError(() => putRule({}, 'content', 'x', { actions: [], pattern: 3 }), 400, 'M_BAD_JSON');
  });

  void test('before/after naming an unknown or default rule is a 400', () => {
    const doc = putRule({}, 'override', 'a', { actions: [] });
    assertError(() => putRule(doc, 'override', 'b', { actions: [] }, { before: 'nope' }), 400, 'M_UNKNOWN');
    assertError(() => putRule(doc, 'override', 'b', { actions: [] }, { after: 'nope' }), 400, 'M_UNKNOWN');
    assertError(() => putRule(doc, 'underride', 'b', { actions: [] }, { after: 'a' }), 400, 'M_UNKNOWN');
    assertError(() => putRule(doc, 'override', 'b', { actions: [] }, { before: '.m.rule.master' }), 400, 'M_UNKNOWN');
  });

  void test('unknown condition kinds are kept (they just never match)', () => {
    const doc = putRule({}, 'override', 'x', { actions: [], conditions: [{ kind: 'org.example.future', foo: 1 }] });
    assert.deepEqual(getRule(ME, doc, 'override', 'x').conditions, [{ kind: 'org.example.future', foo: 1 }]);
  });
});

void describe('parseActions', () => {
  void test('accepts notify, tweaks, and the obsolete no-ops', () => {
    const a = ['notify', { set_tweak: 'sound', value: 'default' }, { set_tweak: 'highlight' }, 'dont_notify', 'coalesce'];
    assert.deepEqual(parseActions(a), a);
  });
  void test('rejects unknown strings and malformed tweaks', () => {
    assertError(() => parseActions(['explode']), 400, 'M_INVALID_PARAM');
    assertError(() => parseActions([{ value: 1 }]), 400, 'M_BAD_JSON');
    assertError(() => parseActions([{ set_tweak: 1 }]), 400, 'M_BAD_JSON');
    assertError(() => parseActions([3]), 400, 'M_BAD_JSON');
    assertError(() => parseActions(undefined), 400, 'M_MISSING_PARAM');
  });
});

void describe('deleteRule', () => {
  void test('removes a user rule', () => {
    let doc = putRule({}, 'override', 'a', { actions: [] });
    doc = putRule(doc, 'override', 'b', { actions: [] });
    const after = deleteRule(doc, 'override', 'a');
    assert.deepEqual(ids(after.rules?.override ?? []), ['b']);
    assertError(() => getRule(ME, after, 'override', 'a'), 404, 'M_NOT_FOUND');
    assert.deepEqual(ids(doc.rules?.override ?? []), ['b', 'a']); // input untouched
  });

  void test('unknown rule is a 404', () => {
    assertError(() => deleteRule({}, 'override', 'nope'), 404, 'M_NOT_FOUND');
    const doc = putRule({}, 'override', 'a', { actions: [] });
    assertError(() => deleteRule(doc, 'underride', 'a'), 404, 'M_NOT_FOUND');
  });

  void test('server-default rules cannot be deleted', () => {
    assertError(() => deleteRule({}, 'override', '.m.rule.master'), 400, 'M_INVALID_PARAM');
  });

  void test('bad kind is a 400', () => {
    assertError(() => deleteRule({}, 'nope', 'a'), 400, 'M_INVALID_PARAM');
  });
});

void describe('setEnabled / setActions', () => {
  void test('work on user rules', () => {
    let doc = putRule({}, 'sender', '@b:x', { actions: ['notify'] });
    doc = setEnabled(doc, 'sender', '@b:x', false);
    doc = setActions(doc, 'sender', '@b:x', []);
    assert.deepEqual(getRule(ME, doc, 'sender', '@b:x'), { rule_id: '@b:x', default: false, enabled: false, actions: [] });
  });

  void test('work on default rules and are kept across edits', () => {
    let doc = setEnabled({}, 'content', '.m.rule.contains_user_name', false);
    doc = setActions(doc, 'content', '.m.rule.contains_user_name', ['notify']);
    const r = getRule(ME, doc, 'content', '.m.rule.contains_user_name');
    assert.equal(r.enabled, false);
    assert.deepEqual(r.actions, ['notify']);
    assert.equal(r.default, true);
    assert.equal(r.pattern, 'alice');
    doc = setEnabled(doc, 'content', '.m.rule.contains_user_name', true);
    assert.deepEqual(getRule(ME, doc, 'content', '.m.rule.contains_user_name').actions, ['notify']);
  });

  void test('a default rule under the wrong kind is a 404', () => {
    assertError(() => setEnabled({}, 'underride', '.m.rule.master', true), 404, 'M_NOT_FOUND');
    assertError(() => setActions({}, 'content', '.m.rule.message', []), 404, 'M_NOT_FOUND');
  });

  void test('unknown rules are a 404', () => {
    assertError(() => setEnabled({}, 'override', 'nope', true), 404, 'M_NOT_FOUND');
    assertError(() => setActions({}, 'room', '!r:x', []), 404, 'M_NOT_FOUND');
  });

  void test('validate their values', () => {
    assertError(() => setEnabled({}, 'override', '.m.rule.master', 'yes'), 400, 'M_BAD_JSON');
    assertError(() => setActions({}, 'override', '.m.rule.master', 'notify'), 400, 'M_BAD_JSON');
  });

  void test('do not modify their input', () => {
    const doc = putRule({}, 'override', 'a', { actions: [] });
    const copy = structuredClone(doc);
    setEnabled(doc, 'override', 'a', false);
    setActions(doc, 'override', 'a', ['notify']);
    setEnabled(doc, 'override', '.m.rule.master', true);
    assert.deepEqual(doc, copy);
  });
});

void describe('getRule', () => {
  void test('finds defaults with the user substituted', () => {
    const r = getRule(ME, {}, 'override', '.m.rule.invite_for_me');
    assert.equal(r.conditions?.[2].pattern, ME);
  });
  void test('404 for a missing rule, 400 for a bad kind', () => {
    assertError(() => getRule(ME, {}, 'override', 'nope'), 404, 'M_NOT_FOUND');
    assertError(() => getRule(ME, {}, 'bogus', 'x'), 400, 'M_INVALID_PARAM');
  });
  void test('isRuleKind', () => {
    assert.equal(isRuleKind('override'), true);
    assert.equal(isRuleKind('global'), false);
  });
});
