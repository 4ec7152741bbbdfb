import { existsSync } from 'node:fs';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../config/config.js';
import { ConfigError } from '../errors/app-error.js';

/**
 * The pre-built workflow bundle: `npm run build` writes it to dist/workflow-bundle.js, beside the
 * compiled dist/worker/, and the production worker loads it instead of bundling at start-up (no
 * webpack run per worker start, and every replica runs byte-for-byte the code that was replay-tested).
 */
export const defaultWorkflowBundlePath = fileURLToPath(new URL('../workflow-bundle.js', import.meta.url));

/** The bundle entry beside this file: compiled JS in dist/, TypeScript in the source tree. */
export function workflowsEntry(): string {
  const compiled = fileURLToPath(new URL('../workflows/index.js', import.meta.url));
  return existsSync(compiled) ? compiled : fileURLToPath(new URL('../workflows/index.ts', import.meta.url));
}

/**
 * The bundle the worker should load: WORKFLOW_BUNDLE_PATH when set (it must exist), else the built
 * one beside this file when there is one (running from dist/), else undefined: bundle from source.
 */
export function prebuiltWorkflowBundle(
  config: Pick<Config, 'WORKFLOW_BUNDLE_PATH'>,
  builtPath: string = defaultWorkflowBundlePath,
): WorkerOptions['workflowBundle'] | undefined {
  if (config.WORKFLOW_BUNDLE_PATH) {
    const codePath = resolve(config.WORKFLOW_BUNDLE_PATH);
    if (!existsSync(codePath)) {
      throw new ConfigError(`WORKFLOW_BUNDLE_PATH names a file that does not exist: ${codePath}`, ['WORKFLOW_BUNDLE_PATH']);
    }
    return { codePath };
  }
  return existsSync(builtPath) ? { codePath: builtPath } : undefined;
}

/** Bundles the workflows (the same @temporalio/worker version the worker runs) and writes the file. */
export async function buildWorkflowBundle(outputPath: string = defaultWorkflowBundlePath): Promise<{ path: string; bytes: number }> {
  const { code } = await bundleWorkflowCode({ workflowsPath: workflowsEntry() });
  await mkdir(dirname(outputPath), { recursive: true });
  await writeFile(outputPath, code);
  return { path: outputPath, bytes: (await stat(outputPath)).size };
}

// `node dist/worker/build-bundle.js [output]` (npm run build) or `tsx worker/build-bundle.ts <output>`.
if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const output = process.argv[2] ? resolve(process.argv[2]) : defaultWorkflowBundlePath;
  const { path, bytes } = await buildWorkflowBundle(output);
  process.stdout.write(`workflow bundle written: ${path} (${Math.round(bytes / 1024)} KiB)\n`);
}
