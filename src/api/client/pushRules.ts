import type { FastifyPluginAsyncTypebox as FastifyPluginAsync } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { notFound } from '../../common/errors.js';
import { pushRules as rules } from '../../users/index.js';
import type { ClientApiDeps } from './deps.js';

const RuleParams = Type.Object({ scope: Type.String(), kind: Type.String(), ruleId: Type.String({ minLength: 1, maxLength: 255 }) });
const AttrParams = Type.Object({ scope: Type.String(), kind: Type.String(), ruleId: Type.String({ minLength: 1, maxLength: 255 }), attr: Type.String() });

/** Push rules (spec: "Push Rules: API"). Changes are stored and mirrored into m.push_rules account data. */
export function pushRuleRoutes(d: ClientApiDeps): FastifyPluginAsync {
  return async (app) => {
    const load = async (userId: string) => ((await d.userData.getPushRules(userId)) ?? {}) as rules.PushRulesDoc;
    const save = async (userId: string, doc: rules.PushRulesDoc) => {
      await d.userData.putPushRules(userId, doc);
      const pos = await d.userData.putAccountData(userId, '', 'm.push_rules', rules.mergeRules(userId, doc));
      d.feeds.accountData(userId, pos);
    };
    const global = (scope: string) => {
      if (scope !== 'global') throw notFound(`Unknown push rule scope ${scope}`);
    };

    app.get('/pushrules/', async (req) => {
      const s = await d.auth(req);
      return rules.mergeRules(s.userId, await load(s.userId));
    });
    app.get('/pushrules/global/', async (req) => {
      const s = await d.auth(req);
      return rules.mergeRules(s.userId, await load(s.userId)).global;
    });

    app.get('/pushrules/:scope/:kind/:ruleId', { schema: { params: RuleParams } }, async (req) => {
      const s = await d.auth(req);
      global(req.params.scope);
      return rules.getRule(s.userId, await load(s.userId), req.params.kind, req.params.ruleId);
    });

    app.put('/pushrules/:scope/:kind/:ruleId', {
      schema: { params: RuleParams, querystring: Type.Object({ before: Type.Optional(Type.String()), after: Type.Optional(Type.String()) }) },
    }, async (req) => {
      const s = await d.auth(req);
      global(req.params.scope);
      const doc = rules.putRule(await load(s.userId), req.params.kind, req.params.ruleId, req.body, req.query);
      await save(s.userId, doc);
      return {};
    });

    app.delete('/pushrules/:scope/:kind/:ruleId', { schema: { params: RuleParams } }, async (req) => {
      const s = await d.auth(req);
      global(req.params.scope);
      await save(s.userId, rules.deleteRule(await load(s.userId), req.params.kind, req.params.ruleId));
      return {};
    });

    app.get('/pushrules/:scope/:kind/:ruleId/:attr', { schema: { params: AttrParams } }, async (req) => {
      const s = await d.auth(req);
      global(req.params.scope);
      const rule = rules.getRule(s.userId, await load(s.userId), req.params.kind, req.params.ruleId);
      if (req.params.attr === 'enabled') return { enabled: rule.enabled };
      if (req.params.attr === 'actions') return { actions: rule.actions };
      throw notFound(`Unknown attribute ${req.params.attr}`);
    });

    app.put('/pushrules/:scope/:kind/:ruleId/:attr', { schema: { params: AttrParams, body: Type.Object({}, { additionalProperties: true }) } }, async (req) => {
      const s = await d.auth(req);
      global(req.params.scope);
      const body = req.body as Record<string, unknown>;
      const doc = await load(s.userId);
      if (req.params.attr === 'enabled') await save(s.userId, rules.setEnabled(doc, req.params.kind, req.params.ruleId, body.enabled));
      else if (req.params.attr === 'actions') await save(s.userId, rules.setActions(doc, req.params.kind, req.params.ruleId, body.actions));
      else throw notFound(`Unknown attribute ${req.params.attr}`);
      return {};
    });
  };
}
