import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseOptions } from '../../../bench/main.js';
import { workerHeapFlag } from '../../../worker/heap-limit.js';

const read = (path: string) => readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');

describe('the worker heap limit', () => {
  it('is passed by npm run start:worker', () => {
    const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;
    expect(scripts['start:worker']).toBe(`node ${workerHeapFlag} dist/worker/main.js`);
  });

  it('is passed by the Docker image and the compose worker service', () => {
    expect(read('Dockerfile')).toContain(`CMD ["node", "${workerHeapFlag}", "dist/worker/main.js"]`);
    expect(read('docker-compose.yml')).toContain(`command: ["node", "${workerHeapFlag}", "dist/worker/main.js"]`);
  });

  it('is what the benchmark runs its worker children with unless told otherwise', () => {
    const defaults = parseOptions([]);
    const custom = parseOptions(['--worker-node-options=--max-old-space-size=128']);
    expect(defaults !== 'help' && defaults.workerNodeArgs).toEqual([workerHeapFlag]);
    expect(custom !== 'help' && custom.workerNodeArgs).toEqual(['--max-old-space-size=128']);
  });
});
