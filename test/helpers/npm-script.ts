import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

/**
 * Runs an npm script's own command (from package.json, e.g. `node --import tsx local/start.ts`) as a child
 * process with `cwd` as its working directory, so its ./.data lands in a temporary folder instead of
 * the checkout. Binaries resolve from the repository's node_modules/.bin, scripts from the repository.
 */
export interface ScriptProcess {
  child: ChildProcess;
  stdout(): string;
  stderr(): string;
  /** Resolves with how the process ended. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Waits for a stdout/stderr line matching `pattern`; fails with the output so far after `timeoutMs`. */
  waitForOutput(pattern: RegExp, timeoutMs: number): Promise<RegExpMatchArray>;
  kill(signal?: NodeJS.Signals): void;
}

export function scriptCommand(name: string): string[] {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> };
  const script = pkg.scripts[name];
  if (!script) throw new Error(`package.json has no "${name}" script`);
  const [bin, ...args] = script.split(/\s+/);
  if (!bin || /[;&|<>$`'"]/.test(script)) throw new Error(`cannot run "${script}" without a shell`);
  // `node --import tsx file`: this Node, and tsx's loader by its path, since the child's working
  // directory is not the checkout.
  if (bin === 'node') {
    return [process.execPath, ...args.map((arg, i) => (arg.startsWith('-') ? arg : args[i - 1] === '--import' ? import.meta.resolve(arg) : join(root, arg)))];
  }
  return [join(root, 'node_modules/.bin', bin), ...args.map((arg) => (arg.startsWith('-') ? arg : join(root, arg)))];
}

export function runScript(name: string, options: { cwd: string; env: Record<string, string>; args?: string[] }): ScriptProcess {
  const [command, ...args] = scriptCommand(name);
  const child = spawn(command!, [...args, ...(options.args ?? [])], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  const listeners = new Set<() => void>();
  child.stdout?.on('data', (chunk: Buffer) => { stdout += chunk.toString(); for (const l of listeners) l(); });
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); for (const l of listeners) l(); });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    kill: (signal = 'SIGKILL') => { if (child.exitCode === null && child.signalCode === null) child.kill(signal); },
    waitForOutput: (pattern, timeoutMs) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const match = `${stdout}\n${stderr}`.match(pattern);
          if (match) { done(); resolve(match); }
        };
        const timer = setTimeout(() => { done(); reject(new Error(`no output matching ${pattern} within ${timeoutMs} ms:\n${stdout}\n${stderr}`)); }, timeoutMs);
        const onExit = () => { check(); done(); reject(new Error(`exited before printing ${pattern}:\n${stdout}\n${stderr}`)); };
        const done = () => { clearTimeout(timer); listeners.delete(check); child.off('exit', onExit); };
        listeners.add(check);
        child.once('exit', onExit);
        check();
      }),
  };
}
