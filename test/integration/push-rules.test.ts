/** Spec chapter "Push Notifications" / "Push Rules: API": the default set and stored changes. */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { V3, assertError, assertOk, enc, syncOk, useServer } from '../helpers/integration.js';
import type { TestClient } from '../helpers/client.js';

const ctx = useServer();
const rulePath = (kind: string, ruleId: string, attr?: string) => `${V3}/pushrules/global/${kind}/${enc(ruleId)}${attr ? `/${attr}` : ''}`;
const all = async (c: TestClient) => assertOk(await c.get(`${V3}/pushrules/`)).global;
const ids = (rules: any[]) => rules.map((r) => r.rule_id);

describe('default push rules', () => {
  test('GET /pushrules/ returns the spec\'s default rule set for the user', async () => {
    const u = await ctx.user('pr');
    const global = await all(u);
    for (const kind of ['override', 'content', 'room', 'sender', 'underride']) assert.ok(Array.isArray(global[kind]), kind);
    assert.equal(global.override[0].rule_id, '.m.rule.master');
    assert.equal(global.override[0].enabled, false);
    for (const id of ['.m.rule.suppress_notices', '.m.rule.invite_for_me', '.m.rule.member_event', '.m.rule.is_user_mention', '.m.rule.tombstone']) {
      assert.ok(ids(global.override).includes(id), id);
    }
    for (const id of ['.m.rule.call', '.m.rule.room_one_to_one', '.m.rule.message', '.m.rule.encrypted']) assert.ok(ids(global.underride).includes(id), id);
    const userName = global.content.find((r: any) => r.rule_id === '.m.rule.contains_user_name');
    assert.equal(userName.pattern, u.userId.slice(1, u.userId.indexOf(':')));
    const invite = global.override.find((r: any) => r.rule_id === '.m.rule.invite_for_me');
    assert.ok(invite.conditions.some((c: any) => c.key === 'state_key' && c.pattern === u.userId), JSON.stringify(invite.conditions));
    for (const kind of Object.keys(global)) for (const r of global[kind]) assert.equal(r.default, true, r.rule_id);
    assert.deepEqual(assertOk(await u.get(`${V3}/pushrules/global/`)), global);
  });

  test('a single default rule, and its enabled and actions attributes, can be read', async () => {
    const u = await ctx.user('prone');
    const rule = assertOk(await u.get(rulePath('underride', '.m.rule.message')));
    assert.equal(rule.rule_id, '.m.rule.message');
    assert.deepEqual(assertOk(await u.get(rulePath('underride', '.m.rule.message', 'enabled'))), { enabled: true });
    assert.deepEqual(assertOk(await u.get(rulePath('underride', '.m.rule.message', 'actions'))), { actions: rule.actions });
  });
});

describe('push rule changes', () => {
  test('PUT a room rule, read it back, see it listed; DELETE removes it', async () => {
    const u = await ctx.user('prput');
    const roomId = await u.createRoom({});
    assert.deepEqual(assertOk(await u.put(rulePath('room', roomId), { actions: [] })), {});
    const rule = assertOk(await u.get(rulePath('room', roomId)));
    assert.equal(rule.rule_id, roomId);
    assert.equal(rule.enabled, true);
    assert.equal(rule.default, false);
    assert.deepEqual(rule.actions, []);
    assert.ok(ids((await all(u)).room).includes(roomId), 'listed under room');
    assertOk(await u.delete(rulePath('room', roomId)));
    assertError(await u.get(rulePath('room', roomId)), 404, 'M_NOT_FOUND');
    assertError(await u.delete(rulePath('room', roomId)), 404, 'M_NOT_FOUND');
  });

  test('content rules keep their pattern and honour before/after', async () => {
    const u = await ctx.user('prorder');
    assertOk(await u.put(rulePath('content', 'cats'), { pattern: 'cat*', actions: ['notify'] }));
    assertOk(await u.put(`${rulePath('content', 'dogs')}?before=cats`, { pattern: 'dog', actions: ['notify'] }));
    assertOk(await u.put(`${rulePath('content', 'birds')}?after=cats`, { pattern: 'bird', actions: ['notify'] }));
    const own = (await all(u)).content.filter((r: any) => !r.default);
    assert.deepEqual(ids(own), ['dogs', 'cats', 'birds']);
    assert.equal(own[1].pattern, 'cat*');
    const missing = await u.put(rulePath('content', 'nopattern'), { actions: ['notify'] });
    assert.equal(missing.status, 400, JSON.stringify(missing.body));
  });

  test('enabled and actions of a default rule are stored', async () => {
    const u = await ctx.user('prattr');
    assertOk(await u.put(rulePath('override', '.m.rule.master', 'enabled'), { enabled: true }));
    assert.deepEqual(assertOk(await u.get(rulePath('override', '.m.rule.master', 'enabled'))), { enabled: true });
    assertOk(await u.put(rulePath('underride', '.m.rule.message', 'actions'), { actions: ['notify', { set_tweak: 'sound', value: 'default' }] }));
    const global = await all(u);
    assert.equal(global.override.find((r: any) => r.rule_id === '.m.rule.master').enabled, true);
    assert.deepEqual(global.underride.find((r: any) => r.rule_id === '.m.rule.message').actions, ['notify', { set_tweak: 'sound', value: 'default' }]);
    const other = await ctx.user('prattrother');
    assert.equal((await all(other)).override[0].enabled, false, 'changes are per user');
  });

  test('changes reach the user\'s sync as m.push_rules account data', async () => {
    const u = await ctx.user('prsync');
    const since = (await syncOk(u)).next_batch;
    assertOk(await u.put(rulePath('sender', '@spammer:localhost'), { actions: [] }));
    const sync = await syncOk(u, { since });
    const ev = sync.account_data.events.find((e: any) => e.type === 'm.push_rules');
    assert.ok(ev, 'm.push_rules in account_data');
    assert.ok(ids(ev.content.global.sender).includes('@spammer:localhost'), 'new rule in the synced rules');
  });

  test('invalid requests are 4xx Matrix errors', async () => {
    const u = await ctx.user('prerr');
    assertError(await u.get(`${V3}/pushrules/device/override/x`), 404, 'M_NOT_FOUND');
    assertError(await u.get(rulePath('override', 'never-made')), 404, 'M_NOT_FOUND');
    assertError(await u.get(rulePath('sideways', 'x')), 400, 'M_INVALID_PARAM');
    const reserved = await u.put(rulePath('override', '.my.rule'), { actions: [] });
    assert.equal(reserved.status, 400, JSON.stringify(reserved.body));
    const deleteDefault = await u.delete(rulePath('override', '.m.rule.master'));
    assert.ok(deleteDefault.status >= 400 && deleteDefault.status < 500, JSON.stringify(deleteDefault));
    const badActions = await u.put(rulePath('override', 'mine'), { actions: 'notify' });
    assert.equal(badActions.status, 400, JSON.stringify(badActions.body));
    const badEnabled = await u.put(rulePath('override', '.m.rule.master', 'enabled'), { enabled: 'yes' });
    assert.equal(badEnabled.status, 400, JSON.stringify(badEnabled.body));
    const badAnchor = await u.put(`${rulePath('content', 'x')}?before=nonexistent`, { pattern: 'x', actions: [] });
    assert.ok(badAnchor.status >= 400 && badAnchor.status < 500, JSON.stringify(badAnchor));
  });
});
