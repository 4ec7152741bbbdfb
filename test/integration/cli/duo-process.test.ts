import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scriptCommand } from '../../helpers/npm-script.js';
import { makeAccount } from '../../../simulator/account-builder.js';
import { startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';

/*
 * `npm run duo -- check` as a real process (the package.json script's own command) against an
 * in-process simulator reached through DUO_API_ORIGIN_OVERRIDE.
 */

const account = makeAccount();
const wrongSecret = 'W'.repeat(40);
let simulator: TestSimulator;
let cwd: string;

beforeAll(async () => {
  simulator = await startTestSimulator([account]);
  cwd = await mkdtemp(join(tmpdir(), 'duo-cli-'));
});

afterAll(async () => {
  await simulator.close();
  await rm(cwd, { recursive: true, force: true });
});

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the command with only the variables it needs, writing `stdin` (then closing it). */
function runCheck(args: string[], env: Record<string, string>, stdin = ''): Promise<Run> {
  const [command, ...scriptArgs] = scriptCommand('duo');
  const inherited = Object.fromEntries(['PATH', 'HOME', 'TMPDIR'].flatMap((name) => (process.env[name] ? [[name, process.env[name]]] : [])));
  const child = spawn(command!, [...scriptArgs, ...args], {
    cwd,
    env: { ...inherited, NODE_ENV: 'test', DUO_API_ORIGIN_OVERRIDE: simulator.origin, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(stdin);
  const timer = setTimeout(() => child.kill('SIGKILL'), 45_000);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const checkArgs = ['check', '--api-host', account.apiHost, '--ikey', account.integrationKey];

describe('npm run duo -- check (as a process)', () => {
  it('reads the secret piped to its prompt, prints OK per permission and exits 0', { timeout: 60_000 }, async () => {
    const run = await runCheck(checkArgs, {}, `${account.secretKey}\n`);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain(`Duo Admin API credential check for ${account.apiHost}`);
    expect(run.stdout).toMatch(/Grant read resource: OK\n/);
    expect(run.stdout).toMatch(/Grant read log: +OK\n/);
    expect(run.stdout).toMatch(/Result: OK\n/);
    expect(run.stdout + run.stderr).not.toContain(account.secretKey);
  });

  it('exits non-zero with a wrong DUO_SECRET_KEY, printing the reason but not the secret', { timeout: 60_000 }, async () => {
    const run = await runCheck(checkArgs, { DUO_SECRET_KEY: wrongSecret });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/Grant read resource: FAILED DUO_CREDENTIALS_REJECTED: .*40103.*check the secret key/);
    expect(run.stdout).toMatch(/Result: FAILED \(credentials_rejected\)/);
    expect(run.stdout + run.stderr).not.toContain(wrongSecret);
  });

  it('refuses --skey without echoing it or calling Duo', { timeout: 60_000 }, async () => {
    const before = (await simulator.control.stats(account.integrationKey)).requests.total;
    const run = await runCheck([...checkArgs, '--skey', account.secretKey], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/never accepted as an argument/);
    expect(run.stdout + run.stderr).not.toContain(account.secretKey);
    expect((await simulator.control.stats(account.integrationKey)).requests.total).toBe(before);
  });
});
