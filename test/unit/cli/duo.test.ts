import { describe, expect, it } from 'vitest';
import { runDuoCli, type CliIo } from '../../../cli/duo.js';

const secretKey = 'Zh5eGmUq9zpfQnyUIu5OL9iWoMMv5ZNmk3zLJ4Ep';
const validArgs = ['check', '--api-host', 'api-abcdef12.duosecurity.com', '--ikey', 'DIWJ8X6AEYOR5OMC6TQ1'];

function capture(secret = '') {
  const out: string[] = [];
  const err: string[] = [];
  let prompted = 0;
  const io: CliIo = {
    out: (text) => void out.push(text),
    err: (text) => void err.push(text),
    readSecret: async () => {
      prompted += 1;
      return secret;
    },
  };
  return { io, out, err, prompts: () => prompted };
}

describe('duo CLI', () => {
  it.each([['--skey', secretKey], [`--skey=${secretKey}`], ['--secret-key', secretKey], ['-skey', secretKey]])(
    'refuses the secret key as an argument (%s) without echoing it',
    async (...extra) => {
      const { io, out, err } = capture();
      expect(await runDuoCli([...validArgs, ...extra], {}, io)).toBe(2);
      expect([...out, ...err].join('')).not.toContain(secretKey);
      expect(err.join('')).toMatch(/never accepted as an argument/);
    },
  );

  it('refuses DUO_API_ORIGIN_OVERRIDE when NODE_ENV=production', async () => {
    const { io, err } = capture();
    const code = await runDuoCli(validArgs, { NODE_ENV: 'production', DUO_SECRET_KEY: secretKey, DUO_API_ORIGIN_OVERRIDE: 'http://127.0.0.1:9100' }, io);
    expect(code).toBe(2);
    expect(err.join('')).toMatch(/DUO_API_ORIGIN_OVERRIDE is for tests and local runs only/);
  });

  it('refuses DUO_API_ORIGIN_OVERRIDE when NODE_ENV is unset', async () => {
    const { io, err } = capture();
    expect(await runDuoCli(validArgs, { DUO_SECRET_KEY: secretKey, DUO_API_ORIGIN_OVERRIDE: 'http://127.0.0.1:9100' }, io)).toBe(2);
    expect(err.join('')).toMatch(/DUO_API_ORIGIN_OVERRIDE is for tests and local runs only/);
  });

  it.each(['not a url', 'ftp://127.0.0.1:9100', 'http://127.0.0.1:9100/path'])('refuses DUO_API_ORIGIN_OVERRIDE=%s as a configuration error', async (override) => {
    const { io, err } = capture();
    expect(await runDuoCli(validArgs, { NODE_ENV: 'test', DUO_SECRET_KEY: secretKey, DUO_API_ORIGIN_OVERRIDE: override }, io)).toBe(2);
    expect(err.join('')).toMatch(/DUO_API_ORIGIN_OVERRIDE/);
  });

  it('refuses a host that is not a Duo API host', async () => {
    const { io, err } = capture();
    expect(await runDuoCli(['check', '--api-host', '169.254.169.254', '--ikey', 'DIWJ8X6AEYOR5OMC6TQ1'], { DUO_SECRET_KEY: secretKey }, io)).toBe(2);
    expect(err.join('')).toMatch(/apiHost must be a Duo API host/);
  });

  it('refuses a malformed integration key', async () => {
    const { io, err } = capture();
    expect(await runDuoCli(['check', '--api-host', 'api-abcdef12.duosecurity.com', '--ikey', 'nope'], { DUO_SECRET_KEY: secretKey }, io)).toBe(2);
    expect(err.join('')).toMatch(/integrationKey/);
  });

  it('asks for the secret when DUO_SECRET_KEY is unset and refuses a wrong-length answer without echoing it', async () => {
    const { io, err, prompts } = capture('short-secret');
    expect(await runDuoCli(validArgs, {}, io)).toBe(2);
    expect(prompts()).toBe(1);
    expect(err.join('')).toMatch(/secretKey must be exactly 40 characters/);
    expect(err.join('')).not.toContain('short-secret');
  });

  it('refuses a DUO_SECRET_KEY of the wrong length without echoing it', async () => {
    const { io, err } = capture();
    expect(await runDuoCli(validArgs, { DUO_SECRET_KEY: 'abc123' }, io)).toBe(2);
    expect(err.join('')).toMatch(/DUO_SECRET_KEY secretKey must be exactly 40 characters/);
    expect(err.join('')).not.toContain('abc123');
  });

  it('prints usage and fails without the check command', async () => {
    const { io, err } = capture();
    expect(await runDuoCli([], { DUO_SECRET_KEY: secretKey }, io)).toBe(2);
    expect(err.join('')).toMatch(/Usage: npm run duo -- check/);
  });

  it('prints usage on --help and succeeds', async () => {
    const { io, out } = capture();
    expect(await runDuoCli(['--help'], {}, io)).toBe(0);
    expect(out.join('')).toMatch(/Usage/);
  });
});
