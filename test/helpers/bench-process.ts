import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BenchResults } from '../../bench/main.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * `npm run bench` as its own process with these arguments, writing its results to a temporary JSON
 * file: the exit code, the last 20 000 characters of its output, and the results (null if it wrote none).
 */
export async function runBenchProcess(args: string[]): Promise<{ code: number | null; output: string; results: BenchResults | null }> {
  const jsonPath = join(tmpdir(), `bench-${randomBytes(4).toString('hex')}.json`);
  const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'bench/main.ts', ...args, '--no-write', '--json', jsonPath], {
      cwd: root,
      env: process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (chunk: Buffer) => {
      output = (output + chunk.toString()).slice(-20_000);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('exit', (exitCode) => resolve({ code: exitCode, output }));
  });
  const results = code === 0 ? (JSON.parse(await readFile(jsonPath, 'utf8')) as BenchResults) : null;
  await rm(jsonPath, { force: true });
  return { code, output, results };
}
