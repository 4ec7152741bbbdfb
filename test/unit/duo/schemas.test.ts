import { describe, expect, it } from 'vitest';
import {
  authLogResponseSchema,
  duoAdminLogSchema,
  duoGroupSchema,
  duoUserSchema,
  envelopeSchema,
  itemsLogResponseSchema,
  duoTelephonyLogSchema,
  duoActivityLogSchema,
} from '../../../duo/schemas.js';

const user = {
  alias1: 'joe.smith',
  alias2: null,
  created: 1489612729,
  email: 'jsmith@example.com',
  groups: [{ desc: 'People with hardware tokens', group_id: 'DGXXXXXXXXXXXXXXXXX', name: 'token_users', status: 'Active', push_enabled: false }],
  is_enrolled: true,
  last_directory_sync: null,
  last_login: null,
  realname: 'Joe Smith',
  status: 'locked out',
  user_id: 'DU3RP9I2WOC59VZX672N',
  username: 'jsmith',
  brand_new_field: { nested: [1, 2, 3] },
};

const authEvent = {
  access_device: { browser: 'Chrome', ip: '89.160.20.112:1234', security_agents: 'unknown', location: { city: 'Ann Arbor' } },
  application: { key: 'DIY231J8BR23QK4UKBY8', name: 'Microsoft Azure Active Directory' },
  auth_device: null,
  event_type: 'authentication',
  factor: 'duo_push',
  reason: null,
  result: 'success',
  timestamp: 1532951962,
  txid: '340a23e3-23f3-23c1-87dc-1491a23dfdbb',
  user: { key: 'DU3KC77WJ06Y5HIV7XKQ', name: 'narroway@example.com', groups: ['Staff'] },
  adaptive_trust_assessments: {},
};

describe('resource schemas', () => {
  it('parses a user into the raw object, unknown fields and nulls kept', () => {
    expect(duoUserSchema.parse(user)).toEqual(user);
  });

  it('accepts an unknown user status value', () => {
    expect(duoUserSchema.safeParse({ ...user, status: 'some future status' }).success).toBe(true);
  });

  it('requires user_id', () => {
    const { user_id: _dropped, ...withoutId } = user;
    expect(duoUserSchema.safeParse(withoutId).success).toBe(false);
  });

  it('parses a group with capitalised status and unknown fields', () => {
    const group = { group_id: 'DG1', name: 'Staff', desc: null, status: 'Active', extra: true };
    expect(duoGroupSchema.parse(group)).toEqual(group);
  });

  it('parses an authentication log page with the array cursor', () => {
    const response = { authlogs: [authEvent], metadata: { next_offset: ['1532951895000', 'af0ba235'], total_objects: 1 } };
    expect(authLogResponseSchema.parse(response)).toEqual(response);
  });

  it('parses an empty authentication log page with a null cursor', () => {
    expect(authLogResponseSchema.parse({ authlogs: [], metadata: { next_offset: null, total_objects: 0 } }).metadata?.next_offset).toBeNull();
  });

  it('parses activity items whose action is an object or a string', () => {
    const schema = itemsLogResponseSchema(duoActivityLogSchema);
    const response = {
      items: [
        { activity_id: 'a1', ts: '2023-03-21T15:51:22.591015+00:00', action: { name: 'admin_login' } },
        { activity_id: 'a2', ts: '2023-03-21T15:51:23.591015+00:00', action: 'admin_login' },
      ],
      metadata: { next_offset: '1679413883591,a2', total_objects: { relation: 'eq', value: 2 } },
    };
    expect(schema.parse(response)).toEqual(response);
  });

  it('parses telephony items', () => {
    const schema = itemsLogResponseSchema(duoTelephonyLogSchema);
    const item = { context: 'authentication', credits: 2, phone: '+17345551311', telephony_id: 't1', ts: '2023-01-26T20:54:12.573580+00:00', txid: 'x', type: 'phone' };
    expect(schema.parse({ items: [item], metadata: { next_offset: null } }).items[0]).toEqual(item);
  });

  it('parses an administrator log row without an id and with a null description', () => {
    const row = { action: 'user_update', description: null, isotimestamp: '2020-01-24T15:09:42+00:00', object: 'jsmith', timestamp: 1579878582, username: 'admin' };
    expect(duoAdminLogSchema.parse(row)).toEqual(row);
  });
});

describe('envelopeSchema', () => {
  it('tells OK from FAIL', () => {
    expect(envelopeSchema.parse({ stat: 'OK', response: [] }).stat).toBe('OK');
    expect(envelopeSchema.parse({ stat: 'FAIL', code: 40301, message: 'Access forbidden' }).stat).toBe('FAIL');
  });

  it('accepts a FAIL with a string code', () => {
    expect(envelopeSchema.safeParse({ stat: 'FAIL', code: 'x', message: 'm' }).success).toBe(true);
  });

  it('refuses an unknown stat', () => {
    expect(envelopeSchema.safeParse({ stat: 'MAYBE' }).success).toBe(false);
  });
});
