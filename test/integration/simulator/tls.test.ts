import { request } from 'node:https';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeAccount } from '../../../simulator/account-builder.js';
import { signGet, startTestSimulator, type TestSimulator } from '../../helpers/simulator.js';
import { createTestCa, type TestCa } from '../../helpers/test-ca.js';

/* The simulator over HTTPS, with a certificate for the account's API host from a test CA. */

const account = makeAccount({ dataset: { seed: 61, users: 12, groups: 2, authEvents: 100, days: 2 } });
let ca: TestCa;
let simulator: TestSimulator;

beforeAll(async () => {
  ca = await createTestCa();
  simulator = await startTestSimulator([account], { tls: await ca.issue([account.apiHost]) });
});

afterAll(async () => {
  await simulator.close();
});

/** A GET to the TLS port, naming `servername` in SNI and trusting only the test CA. */
function tlsGet(path: string, headers: Record<string, string>, servername: string): Promise<{ status: number; body: string; peer: PeerCertificate }> {
  const { port } = new URL(simulator.tlsOrigin ?? 'https://127.0.0.1:1');
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, servername, ca: ca.certPem, headers: { host: servername, ...headers }, agent: false }, (res) => {
      const peer = (res.socket as TLSSocket).getPeerCertificate();
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (body += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, peer }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('the simulator over HTTPS', () => {
  it('serves signed Admin API requests with a certificate for the API host', async () => {
    const { query, headers } = signGet(account, '/admin/v1/users', [['limit', '5']]);
    const response = await tlsGet(`/admin/v1/users?${query}`, headers, account.apiHost);
    expect(response.status).toBe(200);
    expect(JSON.parse(response.body)).toMatchObject({ stat: 'OK', metadata: { total_objects: 12 } });
    expect(response.peer.subjectaltname).toBe(`DNS:${account.apiHost}`);
  });

  it('serves the control API on the same port', async () => {
    const response = await tlsGet('/__sim/accounts', {}, account.apiHost);
    expect(JSON.parse(response.body)).toEqual({ accounts: [{ integrationKey: account.integrationKey, apiHost: account.apiHost }] });
  });

  it('keeps serving plain HTTP on its first origin', async () => {
    expect(simulator.origin).toMatch(/^http:\/\//);
    expect(simulator.tlsOrigin).toMatch(/^https:\/\//);
    expect((await fetch(`${simulator.origin}/__sim/accounts`)).status).toBe(200);
  });
});
