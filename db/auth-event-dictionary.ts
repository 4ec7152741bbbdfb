/**
 * Preset dictionary v1 for compressing stored authentication events (db/event-codec.ts). A Duo event
 * is ~1 KB of JSON whose keys and most values repeat from event to event; compressed alone it barely
 * shrinks (~600 B), with this dictionary to refer back to it shrinks to about a fifth. Built only
 * from what Duo documents (field names in the order our parser emits them, enumerated values, common
 * client values), never from any tenant's data.
 *
 * Frozen: stored rows name the dictionary they were compressed with, so a change is a new version
 * beside this one, never an edit.
 */

const factors = [
  'duo_push', 'phone_call', 'sms_passcode', 'duo_mobile_passcode', 'hardware_token', 'yubikey_code', 'bypass_code',
  'u2f_token', 'passcode', 'WebAuthn Security Key', 'WebAuthn Chrome Touch ID', 'WebAuthn Credential', 'not_available',
  'sms_refresh', 'remembered_device', 'trusted_network', 'trusted_mobile_authenticator',
];
const reasons = [
  'user_approved', 'valid_passcode', 'remembered_device', 'trusted_network', 'bypass_user', 'allow_unenrolled_user',
  'no_response', 'invalid_passcode', 'denied_by_policy', 'locked_out', 'deny_unenrolled_user', 'user_marked_fraud',
  'user_cancelled', 'user_disabled', 'no_keys_pressed', 'anonymous_ip', 'invalid_device', 'location_restricted',
  'platform_restricted', 'version_restricted', 'software_restricted', 'endpoint_is_not_trusted', 'error',
];
const clients = [
  'Chrome', 'Edge', 'Safari', 'Firefox', 'Mobile Safari', 'Chrome Mobile', 'Windows', 'Mac OS X', 'iOS', 'Android', 'Linux',
  'Chrome OS', 'United States', 'United Kingdom', 'Germany', 'France', 'Canada', 'India', 'Japan', 'Australia',
];

const location = (city: string, country: string, state: string) => ({ city, country, state });

/** The shape of an event as stored: the parser's known fields first, then the rest in Duo's order. */
function skeleton(phone: boolean): Record<string, unknown> {
  return {
    txid: '',
    timestamp: 1700000000,
    isotimestamp: '2026-01-01T00:00:00.000000+00:00',
    event_type: 'authentication',
    factor: phone ? 'duo_push' : 'remembered_device',
    reason: phone ? 'user_approved' : 'remembered_device',
    result: 'success',
    email: '@example.com',
    alias: '',
    user: { key: 'DU', name: '', groups: [] },
    application: { key: 'DI', name: 'Microsoft Azure Active Directory' },
    access_device: {
      browser: 'Chrome',
      browser_version: '125.0.6422.60',
      epkey: null,
      flash_version: 'uninstalled',
      hostname: null,
      ip: '192.0.2.1',
      is_encryption_enabled: 'unknown',
      is_firewall_enabled: 'unknown',
      is_password_set: 'unknown',
      java_version: 'uninstalled',
      location: location('Ann Arbor', 'United States', 'Michigan'),
      os: 'Mac OS X',
      os_version: '10.14.1',
      security_agents: 'unknown',
    },
    auth_device: phone
      ? { ip: '192.0.2.1', key: 'DP', location: location('Ann Arbor', 'United States', 'Michigan'), name: '+1 734-555-' }
      : { ip: null, key: null, location: location(null as unknown as string, null as unknown as string, null as unknown as string), name: null },
    adaptive_trust_assessments: {},
    ood_software: null,
    trusted_endpoint_status: 'not trusted',
  };
}

/**
 * Rarest first: deflate codes short distances more cheaply, so what nearly every event repeats (the
 * skeletons) ends the dictionary.
 */
export const AUTH_EVENT_DICTIONARY_V1 = Buffer.from(
  [
    JSON.stringify({ factors, reasons, clients, results: ['success', 'denied', 'fraud'], event_types: ['authentication', 'enrollment'] }),
    JSON.stringify(skeleton(false)),
    JSON.stringify(skeleton(true)),
  ].join(''),
  'utf8',
);
