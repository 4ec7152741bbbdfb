import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';

/** The search attributes our workflows and schedules set; registered on every dev server we start. */
export const searchAttributeFlags = ['--search-attribute', 'TenantId=Keyword'];

/** Finds the Temporal CLI: TEMPORAL_CLI_PATH, then $HOME/go/bin/temporal, then PATH. Never downloads. */
export function findTemporalCli(): string {
  const candidates = [process.env.TEMPORAL_CLI_PATH, join(homedir(), 'go/bin/temporal')];
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) candidates.push(join(dir, 'temporal'));
  const found = candidates.find((path): path is string => !!path && existsSync(path));
  if (!found) {
    throw new Error(
      'Temporal CLI not found (set TEMPORAL_CLI_PATH, or run: go install github.com/temporalio/cli/cmd/temporal@v1.5.1)',
    );
  }
  return found;
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
      if (Date.now() > deadline) { child.kill('SIGKILL'); throw new Error(`temporal dev server did not start: ${String(error)} ${stderr}`); }
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
