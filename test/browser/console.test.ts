import { readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../simulator/account-builder.js';
import { launchBrowser, logIn, screenshot, type TestBrowser } from '../helpers/browser.js';
import { startSyncHarness, type SyncHarness } from '../helpers/sync-harness.js';

/**
 * The web console in Debian's chromium against the whole stack: the API listening on a real port
 * (serving the built console), the run's Temporal dev server, a worker, Postgres and the simulator.
 * The tests run in order, as an operator would: log in, connect, watch, look, export, pause.
 */
describe('web console in a real browser', () => {
  const account = makeAccount({ dataset: { seed: 1616, users: 60, groups: 4, authEvents: 1500, days: 5 } });
  const tenantId = 'console-acme';
  let harness: SyncHarness;
  let baseUrl: string;
  let browser: TestBrowser;
  let page: Page;

  const api = async (path: string, accept = 'application/json') => {
    const response = await harness.api.app.inject({ method: 'GET', url: path, headers: { ...harness.api.auth, accept } });
    return { status: response.statusCode, body: response.body, json: () => response.json() as Record<string, unknown> };
  };
  /** A key made through the API as an operator would (POST /v1/keys); its secret is shown once. */
  const createKey = async (body: { name: string; scopes: string[]; tenantId?: string }) => {
    const response = await harness.api.app.inject({ method: 'POST', url: '/v1/keys', headers: harness.api.auth, payload: body });
    expect(response.statusCode, response.body).toBe(201);
    return response.json<{ secret: string }>().secret;
  };
  const usersOnPage = () => page.locator('table.users tbody tr').evaluateAll((rows) => rows.map((row) => row.getAttribute('data-user-id')));

  beforeAll(async () => {
    harness = await startSyncHarness({ accounts: [account], env: { TEMPORAL_UI_URL: 'http://127.0.0.1:8233' } });
    baseUrl = await harness.api.app.listen({ host: '127.0.0.1', port: 0 });
    browser = await launchBrowser();
    ({ page } = await browser.newPage());
  }, 180_000);
  afterAll(async () => {
    await browser?.close();
    await harness?.close();
  });

  it('serves the console without a token, with a strict content security policy, while the API still needs one', async () => {
    const root = await fetch(`${baseUrl}/`);
    expect(root.status).toBe(200);
    expect(root.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(await root.text()).toContain('<div id="app">');
    expect((await fetch(`${baseUrl}/v1/console/settings`)).status).toBe(401);
    expect((await fetch(`${baseUrl}/no-such-file.js`)).status).toBe(401);
  });

  it('logs in with a pasted key, keeping it out of the URL', async () => {
    await page.goto(baseUrl);
    await screenshot(page, 'login');
    await logIn(page, baseUrl, harness.api.config.API_TOKEN);
    expect(page.url()).not.toContain(harness.api.config.API_TOKEN);
    expect(await page.evaluate<string[]>('Object.values(sessionStorage)')).toContain(harness.api.config.API_TOKEN);
  });

  it('refuses a wrong secret on the connect form with the API\'s own message, storing nothing', async () => {
    await page.goto(`${baseUrl}/#/t/${tenantId}/connect`);
    await page.getByLabel('Integration key').fill(account.integrationKey);
    await page.getByLabel('Secret key').fill('x'.repeat(40));
    await page.getByLabel('API hostname').fill(account.apiHost);
    await page.getByRole('button', { name: 'Connect' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('duo_credentials_rejected');
    await screenshot(page, 'connect-refused');
    expect((await api(`/v1/tenants/${tenantId}/integrations/duo`)).status).toBe(404);
  });

  it('connects through the form and shows the initial sync live until it completes', async () => {
    await page.getByLabel('Secret key').fill(account.secretKey);
    await page.getByRole('button', { name: 'Connect' }).click();
    await page.waitForURL(`**/#/t/${tenantId}/sync`);
    await page.getByRole('progressbar', { name: 'Backfill days done' }).waitFor();
    await screenshot(page, 'sync-running');
    // No reload: the page polls while the sync runs.
    await page.getByTestId('initial-state').filter({ hasText: 'completed' }).waitFor({ timeout: 150_000 });
    const status = (await api(`/v1/tenants/${tenantId}/integrations/duo`)).json() as { counts: { authEvents: number } };
    await expect.poll(() => page.getByTestId('events').textContent()).toBe(new Intl.NumberFormat('en').format(status.counts.authEvents));
    await screenshot(page, 'sync');
  }, 180_000);

  it('shows the usage numbers the API answers, each opening the user list it counts', async () => {
    await page.goto(`${baseUrl}/#/t/${tenantId}/usage`);
    const usage = (await api(`/v1/tenants/${tenantId}/duo/usage`)).json() as { users: number; byStatus: Record<string, number> };
    const allUsers = page.getByRole('link', { name: `${usage.users} users: list them` });
    await allUsers.waitFor();
    await page.locator('.chart canvas').first().waitFor();
    await screenshot(page, 'usage');
    const active = usage.byStatus.active ?? 0;
    await page.getByRole('link', { name: `${active} active users: list them` }).click();
    await page.waitForURL(/users\?status=active/);
    await expect.poll(() => page.getByTestId('total').textContent()).toBe(`${active} users match`);
  });

  it('filters users by group and status with the same rows as the API, page by page', async () => {
    const groups = (await api(`/v1/tenants/${tenantId}/duo/groups`)).json() as { groups: { groupId: string; name: string; members: number }[] };
    const group = [...groups.groups].sort((a, b) => b.members - a.members)[0]!;
    await page.goto(`${baseUrl}/#/t/${tenantId}/users`);
    await page.getByLabel('Group').selectOption(group.groupId);
    await page.getByLabel('Status').selectOption('active');
    await page.waitForURL(/status=active/);
    const expected = (await api(`/v1/tenants/${tenantId}/duo/users?group=${group.groupId}&status=active&limit=50`)).json() as {
      users: { userId: string }[];
      total: number;
    };
    expect(expected.users.length).toBeGreaterThan(0);
    await expect.poll(() => page.getByTestId('total').textContent()).toBe(`${expected.total} users match`);
    await expect.poll(usersOnPage).toEqual(expected.users.map((u) => u.userId));
    await screenshot(page, 'users');
  });

  it('downloads the CSV of exactly the filtered list', async () => {
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
    const file = await download.path();
    const groupId = new URL(page.url().replace('#/', '')).searchParams.get('group');
    const expected = await api(`/v1/tenants/${tenantId}/duo/users?group=${groupId}&status=active`, 'text/csv');
    expect(expected.status).toBe(200);
    expect(readFileSync(file, 'utf8')).toBe(expected.body);
    expect(expected.body.trim().split('\n').length).toBeGreaterThan(1);
  });

  it("opens a user's page with groups, aliases, enrolment and recent authentications", async () => {
    const [first] = await usersOnPage();
    const user = (await api(`/v1/tenants/${tenantId}/duo/users/${first}`)).json() as { username: string; groups: { name: string }[] };
    await page.getByRole('link', { name: user.username, exact: true }).click();
    await page.getByRole('heading', { name: user.username }).waitFor();
    for (const group of user.groups) await page.getByRole('link', { name: group.name }).waitFor();
    await page.getByRole('region', { name: 'Recent authentications' }).waitFor();
    await screenshot(page, 'user');
  });

  it('pauses and resumes the schedule from the sync page', async () => {
    await page.goto(`${baseUrl}/#/t/${tenantId}/sync`);
    await page.getByLabel('Reason').fill('browser test');
    await page.getByRole('button', { name: 'Pause' }).click();
    await page.getByRole('button', { name: 'Resume' }).waitFor();
    await expect.poll(() => page.getByTestId('paused').textContent()).toBe('yes');
    const paused = (await api(`/v1/tenants/${tenantId}/integrations/duo`)).json() as { status: string; schedule: { note: string } };
    expect(paused.status).toBe('paused');
    expect(paused.schedule.note).toContain('browser test');
    await page.getByRole('button', { name: 'Resume' }).click();
    await page.getByRole('button', { name: 'Pause' }).waitFor();
    expect(((await api(`/v1/tenants/${tenantId}/integrations/duo`)).json() as { status: string }).status).toBe('active');
  });

  it('lists tenants for an admin key, filtered by status, linked to the tenant and to the Temporal UI', async () => {
    await page.goto(`${baseUrl}/#/tenants`);
    const row = page.locator(`tr[data-tenant="${tenantId}"]`);
    await row.waitFor();
    const temporal = await row.getByRole('link', { name: 'workflows' }).getAttribute('href');
    expect(temporal).toBe(`http://127.0.0.1:8233/namespaces/default/workflows?query=${encodeURIComponent(`TenantId="${tenantId}"`)}`);
    await screenshot(page, 'tenants');
    await page.getByLabel('Status').selectOption('paused');
    await page.waitForURL(/status=paused/);
    await expect.poll(() => row.count()).toBe(0);
    await page.getByLabel('Status').selectOption('active');
    await row.waitFor();
    await row.getByRole('link', { name: tenantId }).click();
    await page.waitForURL(`**/#/t/${tenantId}/sync`);
  });

  it('shows a read-only key its tenant without any button that would fail', async () => {
    const secret = await createKey({ name: 'viewer', scopes: ['integrations:read', 'usage:read'], tenantId });
    const { context, page: viewer } = await browser.newPage();
    try {
      await logIn(viewer, baseUrl, secret);
      await viewer.waitForURL(`**/#/t/${tenantId}/sync`);
      await viewer.getByTestId('initial-state').waitFor();
      await viewer.getByRole('region', { name: 'Recent runs' }).waitFor();
      for (const name of ['Sync now', 'Pause', 'Resume', 'Disconnect']) expect(await viewer.getByRole('button', { name }).count()).toBe(0);
      expect(await viewer.getByRole('link', { name: 'Connect' }).count()).toBe(0);
      expect(await viewer.getByRole('link', { name: 'Tenants' }).count()).toBe(0);
      await screenshot(viewer, 'sync-read-only');
    } finally {
      await context.close();
    }
  });

  it('keeps a tenant-bound key to its own tenant', async () => {
    const secret = await createKey({ name: 'acme only', scopes: ['integrations:read', 'usage:read'], tenantId });
    const { context, page: bound } = await browser.newPage();
    try {
      await logIn(bound, baseUrl, secret);
      await bound.goto(`${baseUrl}/#/t/someone-else/usage`);
      await expect.poll(() => bound.getByRole('alert').textContent()).toContain(`bound to tenant ${tenantId}`);
      await bound.goto(`${baseUrl}/#/tenants`);
      await expect.poll(() => bound.getByRole('alert').textContent()).toContain('Only admin keys');
      // The API agrees: another tenant does not exist for this key.
      const response = await fetch(`${baseUrl}/v1/tenants/someone-else/duo/usage`, { headers: { authorization: `Bearer ${secret}` } });
      expect(response.status).toBe(404);
    } finally {
      await context.close();
    }
  });
});
