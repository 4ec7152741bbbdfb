import { hash2 } from '../prng.js';
import { adminNames } from '../vocabulary.js';
import type { HandlerContext, HandlerResult } from './context.js';
import { applicationCount } from './objects.js';

/** `/admin/v1/info/summary` ("Grant read information"): the account's utilisation figures. */
export function accountSummary(context: HandlerContext): HandlerResult {
  const data = context.account.dataset;
  return {
    ok: true,
    body: {
      stat: 'OK',
      response: {
        admin_count: adminNames.length,
        integration_count: applicationCount(context.account),
        telephony_credits_remaining: 500 + (hash2(data.seed, 0x7463) % 1000),
        user_count: data.roster.userCount,
        user_pending_deletion_count: data.roster.countWithStatus('pending deletion'),
      },
    },
    applied: [],
  };
}
