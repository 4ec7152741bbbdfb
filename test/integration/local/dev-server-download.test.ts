import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freePort, startSdkDownloadedDevServer } from '../../../local/temporal-dev-server.js';

describe('npm start without a Temporal CLI on the machine', () => {
  const dir = mkdtempSync(join(tmpdir(), 'duo-temporal-download-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  // The download cache sits under a plain file, so the SDK cannot get a CLI on any machine, online
  // or not: the failure path is what this test proves, every time. (Whether a real download works
  // needs the internet, which CI does not have.)
  it('fails saying how to provide a Temporal CLI when the SDK cannot get one', async () => {
    const blocked = join(dir, 'not-a-directory');
    writeFileSync(blocked, '');
    const options = { port: await freePort(), uiPort: await freePort(), dbFilename: join(dir, 'temporal.db'), downloadDir: join(blocked, 'cli') };
    const started = startSdkDownloadedDevServer(options);
    await expect(started).rejects.toThrow(/Temporal CLI not found, and the Temporal SDK could not download it/);
    const message = String(await started.catch((error: unknown) => error));
    expect(message).toContain('TEMPORAL_CLI_PATH');
    expect(message).toContain('go install github.com/temporalio/cli/cmd/temporal@v1.5.1');
  }, 120_000);
});
