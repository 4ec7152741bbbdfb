import { describe, expect, it } from 'vitest';
import { disconnectQuerySchema, operatorNoteBodySchema, settingsPatchBodySchema, syncNowBodySchema } from '../../../../api/schemas/lifecycle.js';

describe('syncNowBodySchema', () => {
  it('takes no body (Fastify passes null) as a plain run', () => {
    expect(syncNowBodySchema.parse(null)).toBeNull();
    expect(syncNowBodySchema.parse(undefined)).toBeUndefined();
    expect(syncNowBodySchema.parse({ roster: true })).toEqual({ roster: true });
  });
});

describe('operatorNoteBodySchema', () => {
  it('trims the note, so blanks alone do not count as a name or a reason', () => {
    expect(operatorNoteBodySchema.parse({ by: ' ops ', reason: ' window ' })).toEqual({ by: 'ops', reason: 'window' });
    expect(operatorNoteBodySchema.safeParse({ by: '  ', reason: 'x' }).success).toBe(false);
  });
});

describe('settingsPatchBodySchema', () => {
  it('keeps null for rosterRefreshHourUtc apart from absent', () => {
    expect(settingsPatchBodySchema.parse({ rosterRefreshHourUtc: null })).toEqual({ rosterRefreshHourUtc: null });
    expect(settingsPatchBodySchema.parse({ syncIntervalMinutes: 1 })).toEqual({ syncIntervalMinutes: 1 });
  });

  it('accepts the bounds and refuses one past them', () => {
    for (const syncIntervalMinutes of [1, 1440]) expect(settingsPatchBodySchema.safeParse({ syncIntervalMinutes }).success).toBe(true);
    for (const syncIntervalMinutes of [0, 1441]) expect(settingsPatchBodySchema.safeParse({ syncIntervalMinutes }).success).toBe(false);
    for (const rosterRefreshHourUtc of [0, 23]) expect(settingsPatchBodySchema.safeParse({ rosterRefreshHourUtc }).success).toBe(true);
    for (const rosterRefreshHourUtc of [-1, 24]) expect(settingsPatchBodySchema.safeParse({ rosterRefreshHourUtc }).success).toBe(false);
  });
});

describe('disconnectQuerySchema', () => {
  it('defaults purge to false and reads exactly "true" and "false"', () => {
    expect(disconnectQuerySchema.parse({})).toEqual({ purge: false });
    expect(disconnectQuerySchema.parse({ purge: 'true' })).toEqual({ purge: true });
    expect(disconnectQuerySchema.parse({ purge: 'false' })).toEqual({ purge: false });
    for (const purge of ['1', 'yes', 'on', 'True', '']) expect(disconnectQuerySchema.safeParse({ purge }).success).toBe(false);
  });
});
