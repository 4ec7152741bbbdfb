import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Connection } from '@temporalio/client';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startSdkDownloadedDevServer } from '../../../local/temporal-dev-server.js';

describe('npm start without a Temporal CLI on the machine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duo-temporal-download-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // This machine has no internet, so the download fails here; where it succeeds, the server it
  // starts must be a usable dev server with our search attribute. Either way the outcome is checked.
  it('runs the CLI the Temporal SDK downloads, or fails saying how to provide one', async () => {
    const options = { port: await freePort(), uiPort: await freePort(), dbFilename: join(dir, 'temporal.db'), downloadDir: join(dir, 'cli') };
    let server: Awaited<ReturnType<typeof startSdkDownloadedDevServer>> | undefined;
    try {
      server = await startSdkDownloadedDevServer(options);
    } catch (error) {
      expect(String(error)).toMatch(/Temporal CLI not found, and the Temporal SDK could not download it/);
      expect(String(error)).toContain('TEMPORAL_CLI_PATH');
      expect(String(error)).toContain('go install github.com/temporalio/cli/cmd/temporal@v1.5.1');
      return;
    }
    try {
      const connection = await Connection.connect({ address: server.address });
      const attributes = await connection.operatorService.listSearchAttributes({ namespace: 'default' });
      expect(Object.keys(attributes.customAttributes ?? {})).toContain('TenantId');
      await connection.close();
    } finally {
      await server.stop();
    }
  }, 120_000);
});
