import type { Dataset } from '../dataset.js';
import { randomDuoId } from '../ids.js';
import { hash3, Rng } from '../prng.js';
import type { EventKey } from '../timeline.js';
import { isoMicros, pickClient, pickPlace, publicIp } from './shared.js';

interface Outcome {
  result: 'success' | 'denied' | 'fraud';
  reason: string | null;
  factors: readonly string[];
  weight: number;
}

const PASSCODES = ['duo_mobile_passcode', 'sms_passcode', 'hardware_token', 'yubikey_code'] as const;
const PHONE_FACTORS = new Set(['duo_push', 'phone_call', 'sms_passcode', 'duo_mobile_passcode']);

const OUTCOMES: readonly Outcome[] = [
  { result: 'success', reason: 'user_approved', factors: ['duo_push', 'duo_push', 'duo_push', 'phone_call', 'WebAuthn Security Key'], weight: 0.52 },
  { result: 'success', reason: 'valid_passcode', factors: PASSCODES, weight: 0.14 },
  { result: 'success', reason: 'remembered_device', factors: ['remembered_device'], weight: 0.14 },
  { result: 'success', reason: 'trusted_network', factors: ['trusted_network'], weight: 0.04 },
  { result: 'success', reason: 'bypass_user', factors: ['not_available'], weight: 0.03 },
  { result: 'success', reason: 'allow_unenrolled_user', factors: ['not_available'], weight: 0.02 },
  { result: 'denied', reason: 'no_response', factors: ['duo_push', 'phone_call'], weight: 0.04 },
  { result: 'denied', reason: 'invalid_passcode', factors: PASSCODES, weight: 0.02 },
  { result: 'denied', reason: 'denied_by_policy', factors: ['not_available'], weight: 0.015 },
  { result: 'denied', reason: 'locked_out', factors: ['not_available'], weight: 0.01 },
  { result: 'denied', reason: 'deny_unenrolled_user', factors: ['not_available'], weight: 0.01 },
  { result: 'fraud', reason: 'user_marked_fraud', factors: ['duo_push'], weight: 0.003 },
];
const OUTCOME_WEIGHTS = OUTCOMES.map((o) => o.weight);
const APP_WEIGHTS = [0.35, 0.25, 0.15, 0.1, 0.1, 0.05];

/** Picks the user of an event among the non-idle ones, skewed so a few users are very active. */
export function eventUserIndex(data: Dataset, rng: Rng): number {
  const active = data.roster.activeUserIndexes;
  return active[Math.floor(active.length * rng.next() ** 1.7)] ?? 0;
}

/** One authentication log event, as `/admin/v2/logs/authentication` returns it. */
export function buildAuthEvent(data: Dataset, key: EventKey): Record<string, unknown> {
  const timeline = data.timelines.auth;
  const rng = new Rng(hash3(timeline.key ^ 0x61757468, key.bucket, key.index));
  const userIndex = eventUserIndex(data, rng);
  const user = data.roster.userCore(userIndex);
  const app = rng.weighted(data.applications, APP_WEIGHTS.slice(0, data.applications.length));
  const enrollment = rng.chance(0.02);
  const outcome = enrollment ? undefined : rng.weighted(OUTCOMES, OUTCOME_WEIGHTS);
  const factor = outcome ? rng.pick(outcome.factors) : 'not_available';
  const place = pickPlace(rng);
  const client = pickClient(rng);
  let ip = publicIp(rng, place);
  // Duo sometimes reports the client port too; consumers must keep IPs as text.
  if (rng.chance(0.005)) ip = `${ip}:${1024 + rng.int(60_000)}`;
  const onPhone = PHONE_FACTORS.has(factor);
  const phoneNumber = `+1 734-555-${String(rng.int(10_000)).padStart(4, '0')}`;
  return {
    access_device: {
      browser: client.browser,
      browser_version: client.browserVersion,
      epkey: rng.chance(0.3) ? randomDuoId('EP', rng) : null,
      flash_version: 'uninstalled',
      hostname: null,
      ip,
      is_encryption_enabled: 'unknown',
      is_firewall_enabled: 'unknown',
      is_password_set: 'unknown',
      java_version: 'uninstalled',
      location: { city: place.city, country: place.country, state: place.state },
      os: client.os,
      os_version: client.osVersion,
      security_agents: 'unknown',
    },
    adaptive_trust_assessments: {},
    alias: '',
    application: { key: app.key, name: app.name },
    auth_device: onPhone
      ? { ip: publicIp(rng, place), key: randomDuoId('DP', rng), location: { city: place.city, country: place.country, state: place.state }, name: phoneNumber }
      : { ip: null, key: null, location: { city: null, country: null, state: null }, name: null },
    email: user.email,
    event_type: enrollment ? 'enrollment' : 'authentication',
    factor,
    isotimestamp: isoMicros(key.ts),
    ood_software: null,
    reason: outcome ? outcome.reason : null,
    result: outcome ? outcome.result : 'success',
    timestamp: Math.floor(key.ts / 1000),
    trusted_endpoint_status: rng.weighted(['not trusted', 'trusted', 'unknown'], [0.6, 0.3, 0.1]),
    txid: timeline.eventId(key),
    user: {
      groups: data.roster.groupIndexesOf(userIndex).map((g) => data.roster.groupName(g, key.ts)),
      key: user.userId,
      name: user.username,
    },
  };
}
