import { describe, expect, it } from 'vitest';
import { integrationKeySchema, secretKeySchema } from '../../../duo/credential-formats.js';

describe('integrationKeySchema', () => {
  it('accepts DI followed by 18 upper-case letters or digits', () => {
    expect(integrationKeySchema.safeParse('DIWJ8X6AEYOR5OMC6TQ1').success).toBe(true);
  });

  it.each(['DIWJ8X6AEYOR5OMC6TQ', 'DIWJ8X6AEYOR5OMC6TQ12', 'diwj8x6aeyor5omc6tq1', 'XXWJ8X6AEYOR5OMC6TQ1', 'DIWJ8X6AEYOR5OMC6T-1'])('refuses %s', (ikey) => {
    expect(integrationKeySchema.safeParse(ikey).success).toBe(false);
  });

  it('names the field without echoing the value', () => {
    const message = integrationKeySchema.safeParse('not-a-key-value').error?.issues[0]?.message ?? '';
    expect(message).toMatch(/^integrationKey /);
    expect(message).not.toContain('not-a-key-value');
  });
});

describe('secretKeySchema', () => {
  it('accepts 40 characters', () => {
    expect(secretKeySchema.safeParse('Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep').success).toBe(true);
  });

  it('refuses 39 characters, naming the field without echoing the value', () => {
    const result = secretKeySchema.safeParse('Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4E');
    expect(result.success).toBe(false);
    const message = result.error?.issues[0]?.message ?? '';
    expect(message).toMatch(/^secretKey /);
    expect(message).not.toContain('Zh5eGmUq');
  });
});
