import { processEnvironment } from '../config/config.js';
import { startLocalStack } from './local-stack.js';

/** `npm start`: the local stack (see local-stack.ts) until Ctrl-C. */
async function main(): Promise<void> {
  const stack = await startLocalStack(processEnvironment());
  if (stack.generatedApiToken) process.stderr.write(`\nLocal API token (from .data/dev-secrets.json): ${stack.generatedApiToken}\n\n`);
  process.stderr.write(`Database: ${stack.databaseLabel}\n\n`);

  const stop = async () => {
    stack.logger.info('shutting down: API first, then the worker drains, then the database and the dev server');
    await stack.stop();
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  await stack.done;
}

main().catch((error: unknown) => {
  process.stderr.write(`start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
