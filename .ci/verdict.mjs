#!/usr/bin/env node
// CI's verdict on a test run, printed as reasons followed by one plain last line `N passed, N failed`.
// Plain Node with no dependencies so it still answers when `npm ci` is the step that failed.
//
//   node .ci/verdict.mjs [--results test-results/vitest.json] [--exit-code N] [--failed-step NAME]
//
// Exits 0 only when every test ran and passed. A skipped or todo test, a run with no test at all,
// a file that failed to load and a failed earlier step (no tests ran) all fail the run.
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

/**
 * @param {{ report?: unknown, readError?: string, exitCode?: number, failedStep?: string }} input
 * @returns {{ passed: number, failed: number, ok: boolean, reasons: string[] }}
 */
export function verdict({ report, readError, exitCode = 0, failedStep }) {
  if (failedStep) return { passed: 0, failed: 1, ok: false, reasons: [`step "${failedStep}" failed; no test ran`] };
  if (readError !== undefined || typeof report !== 'object' || report === null) {
    return { passed: 0, failed: 1, ok: false, reasons: [`no test report: ${readError ?? 'not a JSON object'}`] };
  }
  const r = /** @type {Record<string, unknown>} */ (report);
  const count = (key) => (typeof r[key] === 'number' ? /** @type {number} */ (r[key]) : 0);
  const reasons = [];
  const passed = count('numPassedTests');
  let failed = count('numFailedTests');
  if (failed > 0) reasons.push(`${failed} test(s) failed`);
  // A file that fails to load has no failed test but a failed suite.
  const brokenSuites = count('numFailedTestSuites');
  if (failed === 0 && brokenSuites > 0) {
    failed = brokenSuites;
    reasons.push(`${brokenSuites} test file(s) failed to run`);
  }
  const skipped = namesWithStatus(r, ['pending', 'skipped']);
  const pending = Math.max(count('numPendingTests'), skipped.length);
  if (pending > 0) {
    failed += pending;
    reasons.push(`${pending} test(s) skipped (a skipped test proves nothing)${list(skipped)}`);
  }
  const todos = namesWithStatus(r, ['todo']);
  const todo = Math.max(count('numTodoTests'), todos.length);
  if (todo > 0) {
    failed += todo;
    reasons.push(`${todo} test(s) left as todo${list(todos)}`);
  }
  if (count('numTotalTests') === 0) {
    failed = Math.max(failed, 1);
    reasons.push('no test ran');
  }
  if (failed === 0 && (r.success === false || exitCode !== 0)) {
    failed = 1;
    reasons.push(`the test runner reported failure (exit code ${exitCode})`);
  }
  return { passed, failed, ok: failed === 0, reasons };
}

function namesWithStatus(report, statuses) {
  const files = Array.isArray(report.testResults) ? report.testResults : [];
  return files.flatMap((file) =>
    (Array.isArray(file?.assertionResults) ? file.assertionResults : [])
      .filter((test) => statuses.includes(test?.status))
      .map((test) => `${file.name ?? '?'} › ${test.fullName ?? test.title ?? '?'}`),
  );
}

function list(names) {
  return names.length === 0 ? '' : `:\n  ${names.slice(0, 20).join('\n  ')}${names.length > 20 ? `\n  … ${names.length - 20} more` : ''}`;
}

function main() {
  const { values } = parseArgs({
    options: {
      results: { type: 'string', default: 'test-results/vitest.json' },
      'exit-code': { type: 'string', default: '0' },
      'failed-step': { type: 'string' },
    },
  });
  const input = { exitCode: Number(values['exit-code']) || 0, failedStep: values['failed-step'] };
  if (!input.failedStep) {
    try {
      input.report = JSON.parse(readFileSync(values.results, 'utf8'));
    } catch (error) {
      input.readError = error instanceof Error ? error.message : String(error);
    }
  }
  const result = verdict(input);
  for (const reason of result.reasons) console.log(`FAIL: ${reason}`);
  console.log(`${result.passed} passed, ${result.failed} failed`);
  process.exitCode = result.ok ? 0 : 1;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
