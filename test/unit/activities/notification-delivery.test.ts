import { describe, expect, it } from 'vitest';
import { startNotificationDelivery } from '../../../activities/notify.js';
import { testConfig } from '../../helpers/config.js';

describe('startNotificationDelivery', () => {
  it('starts no delivery workflow when no webhook is configured', async () => {
    // No Temporal client either: reaching for one would throw.
    const started = await startNotificationDelivery(
      { config: testConfig({ NOTIFY_WEBHOOK_URL: undefined }), temporal: undefined },
      { workflowId: 'duo-notify:t:r', tenantId: 't', notifications: [{ type: 'sync.failing', tenantId: 't', at: new Date().toISOString(), details: {} }] },
    );
    expect(started).toBe(false);
  });
});
