import { z } from 'zod';
import type { IntegrationStatusDocument } from '../integrations/status-document.js';
import type { ApplicationUsage as ServiceApplicationUsage } from '../db/usage-applications.js';

/** The few calls the demo makes to the service's own HTTP API, exactly as a customer would. */

export class DemoApiError extends Error {
  override readonly name = 'DemoApiError';
  constructor(
    readonly route: string,
    readonly status: number,
    readonly code: string | undefined,
    message: string,
  ) {
    super(message);
  }
}

const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });

export type IntegrationStatus = IntegrationStatusDocument;

export interface UsageSummary {
  users: number;
  byStatus: Record<string, number>;
  byGroup: Array<{ groupId: string; name: string; members: number; active30d: number }>;
  thresholds: Array<{ days: number; active: number; inactive: number }>;
  reclaimCandidates: { count: number; inactiveDays: number; graceDays: number; usersQuery: string };
  freshness: { newestEventAt: string | null; oldestEventAt: string | null; partial: boolean };
}

/** The fields of an application row the demo shows (the API's answer has more). */
export type ApplicationUsage = Pick<
  ServiceApplicationUsage,
  'applicationKey' | 'name' | 'activeUsers' | 'authentications' | 'successes' | 'denied' | 'lastUsedAt'
>;

export class DemoApiClient {
  constructor(
    private readonly baseUrl: string,
    private readonly token: string,
  ) {}

  private async call<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { authorization: `Bearer ${this.token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(30_000),
    });
    const text = await response.text();
    if (!response.ok) {
      const parsed = errorBody.safeParse(safeJson(text));
      const code = parsed.success ? parsed.data.error.code : undefined;
      const detail = parsed.success ? parsed.data.error.message : `HTTP ${response.status}`;
      throw new DemoApiError(`${method} ${path}`, response.status, code, `${method} ${path} answered ${response.status}${code ? ` ${code}` : ''}: ${detail}`);
    }
    return safeJson(text) as T;
  }

  connectDuo(tenant: string, keys: { integrationKey: string; secretKey: string; apiHost: string }): Promise<IntegrationStatus> {
    return this.call('PUT', `/v1/tenants/${tenant}/integrations/duo`, keys);
  }

  status(tenant: string): Promise<IntegrationStatus> {
    return this.call('GET', `/v1/tenants/${tenant}/integrations/duo`);
  }

  usage(tenant: string): Promise<UsageSummary> {
    return this.call('GET', `/v1/tenants/${tenant}/duo/usage`);
  }

  applications(tenant: string): Promise<{ applications: ApplicationUsage[] }> {
    return this.call('GET', `/v1/tenants/${tenant}/duo/applications`);
  }

  /** A new API key (POST /v1/keys); its secret is in the answer only. */
  createKey(body: { name: string; scopes: string[]; tenantId: string; expiresAt: string }): Promise<{ secret: string }> {
    return this.call('POST', '/v1/keys', body);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
