import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { processEnvironment } from '../config/config.js';

const root = fileURLToPath(new URL('..', import.meta.url));

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything the process wrote to stdout and stderr so far (for log scanning). */
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/** The real worker entry (`npm run worker`) as a child process, so a test or the chaos run can SIGKILL it. */
export function startWorkerProcess(env: Record<string, string>): WorkerProcess {
  const inherited = processEnvironment();
  const child = spawn(process.execPath, ['--import', 'tsx', 'worker/main.ts'], {
    cwd: root,
    env: { PATH: inherited.PATH ?? '', HOME: inherited.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  child.stderr?.on('data', (chunk: Buffer) => { output += chunk.toString(); });
  return {
    child,
    output: () => output,
    kill: (signal = 'SIGTERM') =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}
