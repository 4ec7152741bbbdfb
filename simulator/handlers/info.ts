import { hash2 } from '../prng.js';
import { adminNames } from '../vocabulary.js';
import type { HandlerContext, HandlerResult } from './context.js';

/** `/admin/v1/info/summary`: the only endpoint here that needs "Grant read information". */
export function accountSummary(context: HandlerContext): HandlerResult {
  const data = context.account.dataset;
  return {
    ok: true,
    body: {
      stat: 'OK',
      response: {
        admin_count: adminNames.length,
        integration_count: data.applications.length + 1,
        telephony_credits_remaining: 500 + (hash2(data.seed, 0x7463) % 1000),
        user_count: data.roster.userCount,
      },
    },
    applied: [],
  };
}
