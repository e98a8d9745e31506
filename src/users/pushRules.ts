/**
 * Push rules: the spec's server-default ruleset and pure edits over what a
 * user stored (their own rules, and changes to the defaults' enabled/actions).
 * Storage keeps only a PushRulesDoc; the full ruleset is derived on read, so a
 * server upgrade that changes the defaults reaches every user.
 */
import { MatrixError, badJson, invalidParam, missingParam, notFound } from '../common/errors.js';
import { isRoomId, isUserId } from '../common/ids.js';

export const RULE_KINDS = ['override', 'content', 'room', 'sender', 'underride'] as const;
export type RuleKind = (typeof RULE_KINDS)[number];

export type PushAction = string | { set_tweak: string; value?: unknown; [k: string]: unknown };
export interface PushCondition {
  kind: string;
  [k: string]: unknown;
}

export interface PushRule {
  rule_id: string;
  default: boolean;
  enabled: boolean;
  actions: PushAction[];
  conditions?: PushCondition[];
  pattern?: string;
}

export type Ruleset = Record<RuleKind, PushRule[]>;

/** A rule the user created; `default` is always false so it is not stored. */
export type UserRule = Omit<PushRule, 'default'>;
export interface DefaultRuleChange {
  enabled?: boolean;
  actions?: PushAction[];
}

/** What is stored per user (as JSON). Every part is optional: `{}` is a user with no changes. */
export interface PushRulesDoc {
  /** The user's own rules per kind, most important first. */
  rules?: Partial<Record<RuleKind, UserRule[]>>;
  /** Changes to server-default rules, by kind then rule_id. */
  defaults?: Partial<Record<RuleKind, Record<string, DefaultRuleChange>>>;
}

export const isRuleKind = (k: unknown): k is RuleKind => RULE_KINDS.includes(k as RuleKind);

// ---- the server-default rules (spec "Predefined Rules") ----

// Functions, not constants: every call hands out fresh objects the caller may mutate.
const soundDefault = () => ({ set_tweak: 'sound', value: 'default' });
const highlight = () => ({ set_tweak: 'highlight' });
const match = (key: string, pattern: string): PushCondition => ({ kind: 'event_match', key, pattern });

function rule(rule_id: string, actions: PushAction[], extra: Partial<PushRule> = {}): PushRule {
  return { rule_id, default: true, enabled: true, conditions: [], actions, ...extra };
}

/**
 * The predefined rules with this user's ID / localpart substituted. Left out on
 * purpose: `.m.rule.contains_display_name` and `.m.rule.roomnotif`, which the
 * spec deprecated in v1.7 for the `m.mentions` rules and later removed (MSC4210).
 */
export function defaultPushRules(userId: string): { global: Ruleset } {
  const colon = userId.indexOf(':');
  const localpart = userId.slice(1, colon > 0 ? colon : undefined);
  return {
    global: {
      override: [
        rule('.m.rule.master', [], { enabled: false }),
        rule('.m.rule.suppress_notices', [], { conditions: [match('content.msgtype', 'm.notice')] }),
        rule('.m.rule.invite_for_me', ['notify', soundDefault()], {
          conditions: [match('type', 'm.room.member'), match('content.membership', 'invite'), match('state_key', userId)],
        }),
        rule('.m.rule.member_event', [], { conditions: [match('type', 'm.room.member')] }),
        rule('.m.rule.is_user_mention', ['notify', soundDefault(), highlight()], {
          conditions: [{ kind: 'event_property_contains', key: 'content.m\\.mentions.user_ids', value: userId }],
        }),
        rule('.m.rule.is_room_mention', ['notify', highlight()], {
          conditions: [
            { kind: 'event_property_is', key: 'content.m\\.mentions.room', value: true },
            { kind: 'sender_notification_permission', key: 'room' },
          ],
        }),
        rule('.m.rule.tombstone', ['notify', highlight()], {
          conditions: [match('type', 'm.room.tombstone'), match('state_key', '')],
        }),
        rule('.m.rule.reaction', [], { conditions: [match('type', 'm.reaction')] }),
        rule('.m.rule.room.server_acl', [], {
          conditions: [match('type', 'm.room.server_acl'), match('state_key', '')],
        }),
        rule('.m.rule.suppress_edits', [], {
          conditions: [{ kind: 'event_property_is', key: 'content.m\\.relates_to.rel_type', value: 'm.replace' }],
        }),
      ],
      content: [
        {
          rule_id: '.m.rule.contains_user_name',
          default: true,
          enabled: true,
          pattern: localpart,
          actions: ['notify', soundDefault(), highlight()],
        },
      ],
      room: [],
      sender: [],
      underride: [
        rule('.m.rule.call', ['notify', { set_tweak: 'sound', value: 'ring' }], {
          conditions: [match('type', 'm.call.invite')],
        }),
        rule('.m.rule.encrypted_room_one_to_one', ['notify', soundDefault()], {
          conditions: [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.encrypted')],
        }),
        rule('.m.rule.room_one_to_one', ['notify', soundDefault()], {
          conditions: [{ kind: 'room_member_count', is: '2' }, match('type', 'm.room.message')],
        }),
        rule('.m.rule.message', ['notify'], { conditions: [match('type', 'm.room.message')] }),
        rule('.m.rule.encrypted', ['notify'], { conditions: [match('type', 'm.room.encrypted')] }),
      ],
    },
  };
}

/** Default rule ids do not depend on the user, so any ID will do to list them. */
const isDefaultRule = (kind: RuleKind, ruleId: string) =>
  defaultPushRules('@_:_').global[kind].some((r) => r.rule_id === ruleId);

// ---- reading ----

function applyChange(r: PushRule, change: DefaultRuleChange | undefined): PushRule {
  if (!change) return r;
  return {
    ...r,
    ...(change.enabled !== undefined && { enabled: change.enabled }),
    ...(change.actions !== undefined && { actions: structuredClone(change.actions) }),
  };
}

/**
 * The ruleset GET /pushrules/ returns. Per the spec, user rules rank above the
 * server defaults of their kind, except `.m.rule.master`, which stays first.
 */
export function mergeRules(userId: string, doc: PushRulesDoc): { global: Ruleset } {
  const defaults = defaultPushRules(userId).global;
  const global = {} as Ruleset;
  for (const kind of RULE_KINDS) {
    const own: PushRule[] = (doc.rules?.[kind] ?? []).map((r) => ({ ...structuredClone(r), default: false }));
    const defs = defaults[kind].map((r) => applyChange(r, doc.defaults?.[kind]?.[r.rule_id]));
    const master = defs.filter((r) => r.rule_id === '.m.rule.master');
    const rest = defs.filter((r) => r.rule_id !== '.m.rule.master');
    global[kind] = [...master, ...own, ...rest];
  }
  return { global };
}

function checkKind(kind: string): RuleKind {
  if (!isRuleKind(kind)) throw invalidParam(`Unknown push rule kind: ${kind}`);
  return kind;
}

const ruleNotFound = () => notFound('The push rule was not found.');

export function getRule(userId: string, doc: PushRulesDoc, kind: string, ruleId: string): PushRule {
  const found = mergeRules(userId, doc).global[checkKind(kind)].find((r) => r.rule_id === ruleId);
  if (!found) throw ruleNotFound();
  return found;
}

// ---- validation of request bodies ----

const isObj = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `dont_notify` and `coalesce` are obsolete; the spec says accept them as no-ops. */
const STRING_ACTIONS = new Set(['notify', 'dont_notify', 'coalesce']);

export function parseActions(v: unknown): PushAction[] {
  if (v === undefined) throw missingParam('Missing actions');
  if (!Array.isArray(v)) throw badJson('actions must be an array');
  return v.map((a: unknown): PushAction => {
    if (typeof a === 'string') {
      if (!STRING_ACTIONS.has(a)) throw invalidParam(`Unrecognised action: ${a}`);
      return a;
    }
    if (isObj(a) && typeof a.set_tweak === 'string') return structuredClone(a) as PushAction;
    throw badJson('Each action must be a string or an object with a string set_tweak');
  });
}

function parseConditions(v: unknown): PushCondition[] {
  if (v === undefined) return [];
  if (!Array.isArray(v)) throw badJson('conditions must be an array');
  return v.map((c: unknown) => {
    // Unknown condition kinds are kept: the spec says they simply never match.
    if (!isObj(c) || typeof c.kind !== 'string') throw badJson('Each condition must be an object with a string kind');
    return structuredClone(c) as PushCondition;
  });
}

function checkUserRuleId(kind: RuleKind, ruleId: string): void {
  if (ruleId === '') throw invalidParam('Empty rule_id');
  if (ruleId.startsWith('.')) throw invalidParam('rule_ids starting with "." are reserved for server-default rules');
  if (ruleId.includes('/') || ruleId.includes('\\')) throw invalidParam('rule_id may not contain "/" or "\\"');
  if (kind === 'room' && !isRoomId(ruleId)) throw invalidParam('The rule_id of a room rule must be a room ID');
  if (kind === 'sender' && !isUserId(ruleId)) throw invalidParam('The rule_id of a sender rule must be a user ID');
}

// ---- edits: each returns a new doc and leaves its input alone ----

export interface RulePosition {
  before?: string;
  after?: string;
}

/** The spec's 400 for a bad before/after (its example uses M_UNKNOWN). */
const badAnchor = (msg: string) => new MatrixError(400, 'M_UNKNOWN', msg);

/** PUT /pushrules/global/{kind}/{ruleId}: create, or replace in place, a user rule. */
export function putRule(
  doc: PushRulesDoc,
  kind: string,
  ruleId: string,
  body: unknown,
  pos: RulePosition = {},
): PushRulesDoc {
  const k = checkKind(kind);
  checkUserRuleId(k, ruleId);
  if (!isObj(body)) throw badJson('The push rule must be an object');
  const actions = parseActions(body.actions);
  let pattern: string | undefined;
  let conditions: PushCondition[] | undefined;
  if (k === 'content') {
    if (body.pattern === undefined) throw missingParam('Content rules need a pattern');
    if (typeof body.pattern !== 'string') throw badJson('pattern must be a string');
    pattern = body.pattern;
  } else if (k === 'override' || k === 'underride') {
    conditions = parseConditions(body.conditions);
  }

  const next = structuredClone(doc);
  const list = [...(next.rules?.[k] ?? [])];
  const oldIndex = list.findIndex((r) => r.rule_id === ruleId);
  // Creating enables the rule (spec); replacing keeps what the user chose.
  const enabled = oldIndex >= 0 ? list[oldIndex].enabled : true;
  if (oldIndex >= 0) list.splice(oldIndex, 1);

  let at: number;
  const anchor = pos.before ?? pos.after;
  if (anchor !== undefined) {
    if (anchor.startsWith('.')) throw badAnchor('Cannot place a rule relative to a server-default rule');
    const i = list.findIndex((r) => r.rule_id === anchor);
    if (i < 0) throw badAnchor(`before/after rule not found: ${anchor}`);
    // With both given, the spec says `before` decides.
    at = pos.before !== undefined ? i : i + 1;
  } else {
    at = oldIndex >= 0 ? oldIndex : 0;
  }

  const stored: UserRule = { rule_id: ruleId, enabled, actions };
  if (pattern !== undefined) stored.pattern = pattern;
  if (conditions !== undefined) stored.conditions = conditions;
  list.splice(at, 0, stored);
  next.rules = { ...next.rules, [k]: list };
  return next;
}

/** DELETE: only user rules can go; server defaults can only be disabled. */
export function deleteRule(doc: PushRulesDoc, kind: string, ruleId: string): PushRulesDoc {
  const k = checkKind(kind);
  const list = doc.rules?.[k] ?? [];
  if (!list.some((r) => r.rule_id === ruleId)) {
    if (isDefaultRule(k, ruleId)) throw invalidParam('Server-default push rules cannot be deleted');
    throw ruleNotFound();
  }
  const next = structuredClone(doc);
  next.rules = { ...next.rules, [k]: list.filter((r) => r.rule_id !== ruleId).map((r) => structuredClone(r)) };
  return next;
}

function change(doc: PushRulesDoc, kind: string, ruleId: string, patch: DefaultRuleChange): PushRulesDoc {
  const k = checkKind(kind);
  const next = structuredClone(doc);
  const own = next.rules?.[k]?.find((r) => r.rule_id === ruleId);
  if (own) {
    Object.assign(own, patch);
    return next;
  }
  if (!isDefaultRule(k, ruleId)) throw ruleNotFound();
  const byKind = { ...next.defaults?.[k] };
  byKind[ruleId] = { ...byKind[ruleId], ...patch };
  next.defaults = { ...next.defaults, [k]: byKind };
  return next;
}

/** PUT …/enabled, for user and server-default rules alike. */
export function setEnabled(doc: PushRulesDoc, kind: string, ruleId: string, enabled: unknown): PushRulesDoc {
  if (typeof enabled !== 'boolean') throw badJson('enabled must be a boolean');
  return change(doc, kind, ruleId, { enabled });
}

/** PUT …/actions, for user and server-default rules alike. */
export function setActions(doc: PushRulesDoc, kind: string, ruleId: string, actions: unknown): PushRulesDoc {
  return change(doc, kind, ruleId, { actions: parseActions(actions) });
}
