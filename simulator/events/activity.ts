import type { Dataset } from '../dataset.js';
import { duoObjectId } from '../ids.js';
import { hash3, Rng } from '../prng.js';
import type { EventKey } from '../timeline.js';
import { activityActions, adminNames } from '../vocabulary.js';
import { eventUserIndex } from './auth.js';
import { isoMicros, pickClient, pickPlace, publicIp, pythonJson } from './shared.js';

/** One activity log item, as `/admin/v2/logs/activity` returns it. */
export function buildActivityEvent(data: Dataset, key: EventKey): Record<string, unknown> {
  const timeline = data.timelines.activity;
  const rng = new Rng(hash3(timeline.key ^ 0x616374, key.bucket, key.index));
  const action = rng.pick(activityActions);
  const admin = rng.pick(adminNames);
  const target = data.roster.userCore(eventUserIndex(data, rng));
  const place = pickPlace(rng);
  const client = pickClient(rng);
  const failed = rng.chance(0.03);
  return {
    access_device: {
      browser: client.browser,
      browser_version: client.browserVersion,
      ip: { address: publicIp(rng, place) },
      location: { city: place.city, country: place.country, state: place.state },
      os: client.os,
      os_version: client.osVersion,
    },
    action: { details: action === 'user_update' ? pythonJson({ status: 'active' }) : null, name: action },
    activity_id: timeline.eventId(key),
    actor: { details: pythonJson({ email: `${admin}@example.com` }), key: duoObjectId('DE', data.seed, adminNames.indexOf(admin)), name: admin, type: 'admin' },
    akey: data.accountKey,
    application: { key: data.applications[0]?.key ?? null, name: 'Duo Admin Panel', type: 'admin_panel' },
    old_target: null,
    outcome: { result: failed ? 'FAILURE' : 'SUCCESS' },
    target: { details: null, key: target.userId, name: target.username, type: 'user' },
    ts: isoMicros(key.ts),
  };
}
