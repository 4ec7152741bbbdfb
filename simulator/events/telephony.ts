import type { Dataset } from '../dataset.js';
import { hash3, Rng } from '../prng.js';
import type { EventKey } from '../timeline.js';
import { isoMicros, randomUuid } from './shared.js';

/** One telephony log item, as `/admin/v2/logs/telephony` returns it. */
export function buildTelephonyEvent(data: Dataset, key: EventKey): Record<string, unknown> {
  const timeline = data.timelines.telephony;
  const rng = new Rng(hash3(timeline.key ^ 0x74656c, key.bucket, key.index));
  const type = rng.weighted(['sms', 'phone'], [0.7, 0.3]);
  const international = rng.chance(0.1);
  return {
    context: rng.weighted(['authentication', 'enrollment', 'administrator login', 'verify'], [0.82, 0.1, 0.05, 0.03]),
    credits: (type === 'sms' ? 1 : 2) * (international ? 2 : 1),
    phone: international ? `+44${7_000_000_000 + rng.int(999_999_999)}` : `+1734555${String(rng.int(10_000)).padStart(4, '0')}`,
    telephony_id: timeline.eventId(key),
    ts: isoMicros(key.ts),
    txid: randomUuid(rng),
    type,
  };
}
