import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { processEnvironment } from '../config/config.js';
import { Connection } from '@temporalio/client';

/** The search attributes our workflows and schedules set; registered on every dev server we start. */
export const searchAttributeFlags = ['--search-attribute', 'TenantId=Keyword'];

/** Where the Temporal CLI is: TEMPORAL_CLI_PATH, then $HOME/go/bin/temporal, then PATH; undefined if nowhere. */
export function locateTemporalCli(env: Record<string, string | undefined> = processEnvironment()): string | undefined {
  const candidates = [env.TEMPORAL_CLI_PATH, join(homedir(), 'go/bin/temporal')];
  for (const dir of (env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, 'temporal'));
  return candidates.find((path): path is string => !!path && existsSync(path));
}

const installHint = 'set TEMPORAL_CLI_PATH or TEMPORAL_ADDRESS, or run: go install github.com/temporalio/cli/cmd/temporal@v1.5.1';

/** The Temporal CLI for tests and benchmarks, which never download. */
export function findTemporalCli(): string {
  const found = locateTemporalCli();
  if (!found) throw new Error(`Temporal CLI not found (${installHint})`);
  return found;
}

/**
 * `npm start` on a machine without the Temporal CLI: the Temporal SDK downloads the CLI (cached in
 * `downloadDir`, so later starts need no network) and runs it as the dev server. @temporalio/testing
 * is a dev dependency, loaded only here: production never starts a dev server.
 */
export async function startSdkDownloadedDevServer(options: {
  port: number;
  uiPort: number;
  dbFilename: string;
  downloadDir: string;
}): Promise<Pick<DevServer, 'address' | 'stop'>> {
  const { TestWorkflowEnvironment } = await import('@temporalio/testing');
  try {
    const environment = await TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'cached-download', downloadDir: options.downloadDir },
        ip: '127.0.0.1',
        port: options.port,
        uiPort: options.uiPort,
        dbFilename: options.dbFilename,
        log: { format: 'pretty', level: 'error' },
        extraArgs: searchAttributeFlags,
      },
    });
    return { address: environment.address, stop: () => environment.teardown() };
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new Error(`Temporal CLI not found, and the Temporal SDK could not download it (${cause.slice(0, 300)}); ${installHint}`, { cause: error });
  }
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export interface DevServer {
  address: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/**
 * Starts `temporal server start-dev` (tests, benchmarks and `npm start` without TEMPORAL_ADDRESS)
 * and waits until it answers. Headless unless a UI port is given.
 */
export async function startTemporalDevServer(
  options: { dbFilename?: string; extraArgs?: string[]; port?: number; uiPort?: number } = {},
): Promise<DevServer> {
  const port = options.port ?? (await freePort());
  const args = [
    'server', 'start-dev', '--ip', '127.0.0.1', '--port', String(port),
    ...(options.uiPort ? ['--ui-port', String(options.uiPort)] : ['--headless']),
    '--http-port', String(await freePort()), '--metrics-port', String(await freePort()),
    '--log-level', 'error', ...searchAttributeFlags,
    ...(options.dbFilename ? ['--db-filename', options.dbFilename] : []),
    ...(options.extraArgs ?? []),
  ];
  const child = spawn(findTemporalCli(), args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr = (stderr + chunk.toString()).slice(-4000); });
  const address = `127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited (${child.exitCode}): ${stderr}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 1000 });
      await connection.workflowService.getSystemInfo({});
      await connection.close();
      break;
    } catch (error) {
      if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`temporal dev server did not start: ${String(error)} ${stderr}`, { cause: error }); }
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  return {
    address,
    process: child,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 5000).unref();
      }),
  };
}
