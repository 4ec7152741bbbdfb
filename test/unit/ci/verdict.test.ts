import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const report = (name: string) => fileURLToPath(new URL(`../../fixtures/vitest-reports/${name}.json`, import.meta.url));

/** Runs .ci/verdict.mjs as .ci/run does and returns its exit code and output lines. */
async function verdict(...args: string[]): Promise<{ code: number; lines: string[] }> {
  try {
    const { stdout } = await promisify(execFile)(process.execPath, ['.ci/verdict.mjs', ...args], { cwd: root });
    return { code: 0, lines: stdout.trimEnd().split('\n') };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string };
    return { code: failed.code ?? -1, lines: (failed.stdout ?? '').trimEnd().split('\n') };
  }
}

describe('the CI verdict on a vitest JSON report', () => {
  it('passes a run in which every test ran and passed', async () => {
    const result = await verdict('--results', report('all-passed'));
    expect(result).toEqual({ code: 0, lines: ['3 passed, 0 failed'] });
  });

  it('fails a run with a failed test', async () => {
    const result = await verdict('--results', report('one-failed'));
    expect(result.code).toBe(1);
    expect(result.lines.at(-1)).toBe('2 passed, 1 failed');
  });

  it('fails a run with a skipped test, counts it as failed and names it', async () => {
    const result = await verdict('--results', report('one-skipped'));
    expect(result.code).toBe(1);
    expect(result.lines.join('\n')).toContain('checkout test 1');
    expect(result.lines.at(-1)).toBe('2 passed, 1 failed');
  });

  it('fails a run with a todo test, counts it as failed and names it', async () => {
    const result = await verdict('--results', report('one-todo'));
    expect(result.code).toBe(1);
    expect(result.lines.join('\n')).toContain('checkout test 1');
    expect(result.lines.at(-1)).toBe('2 passed, 1 failed');
  });

  it('fails a run in which no test ran', async () => {
    const result = await verdict('--results', report('no-tests'));
    expect(result.code).toBe(1);
    expect(result.lines).toContain('FAIL: no test ran');
    expect(result.lines.at(-1)).toBe('0 passed, 1 failed');
  });

  it('fails a passing report when the test runner itself exited with an error', async () => {
    const result = await verdict('--results', report('all-passed'), '--exit-code', '1');
    expect(result.code).toBe(1);
    expect(result.lines.at(-1)).toBe('3 passed, 1 failed');
  });

  it('fails when there is no report to read', async () => {
    const result = await verdict('--results', report('does-not-exist'));
    expect(result.code).toBe(1);
    expect(result.lines.at(-1)).toBe('0 passed, 1 failed');
  });

  it('counts a failed earlier step as one failure when no test ran', async () => {
    const result = await verdict('--failed-step', 'Type check');
    expect(result.code).toBe(1);
    expect(result.lines).toEqual(['FAIL: step "Type check" failed; no test ran', '0 passed, 1 failed']);
  });
});
