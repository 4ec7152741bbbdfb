/**
 * The console's one way to the API: same origin, the pasted key as a Bearer header, JSON errors
 * turned into ApiError with the API's own code and message (shown to the user as they are).
 */

const KEY_STORAGE = 'duo-usage-sync.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(KEY_STORAGE);
}

export function storeKey(key: string): void {
  sessionStorage.setItem(KEY_STORAGE, key);
}

export function forgetKey(): void {
  sessionStorage.removeItem(KEY_STORAGE);
}

export interface ValidationIssue {
  location: string;
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details: Record<string, unknown>,
  ) {
    super(message);
  }

  get issues(): ValidationIssue[] {
    const issues = this.details.issues;
    return Array.isArray(issues) ? (issues as ValidationIssue[]) : [];
  }
}

/** Called when the API refuses the key (401): the app goes back to the login page. */
let onUnauthorized: () => void = () => {};
export function setUnauthorizedHandler(handler: () => void): void {
  onUnauthorized = handler;
}

async function send(method: string, path: string, options: { body?: unknown; accept?: string; key?: string } = {}): Promise<Response> {
  const key = options.key ?? storedKey();
  const headers: Record<string, string> = { accept: options.accept ?? 'application/json' };
  if (key) headers.authorization = `Bearer ${key}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    credentials: 'omit',
    cache: 'no-store',
  });
  if (response.ok) return response;
  let code = 'http_error';
  let message = `The API answered ${response.status}`;
  let details: Record<string, unknown> = {};
  try {
    const body = (await response.json()) as { error?: { code?: string; message?: string; details?: Record<string, unknown> } };
    code = body.error?.code ?? code;
    message = body.error?.message ?? message;
    details = body.error?.details ?? {};
  } catch {
    // not JSON: keep the generic message
  }
  if (response.status === 401 && options.key === undefined) onUnauthorized();
  throw new ApiError(response.status, code, message, details);
}

export async function getJson<T>(path: string, key?: string): Promise<T> {
  const response = await send('GET', path, key === undefined ? {} : { key });
  return (await response.json()) as T;
}

export async function sendJson<T>(method: string, path: string, body?: unknown): Promise<T> {
  const response = await send(method, path, body === undefined ? {} : { body });
  return (await response.json()) as T;
}

export async function getCsv(path: string): Promise<Blob> {
  const response = await send('GET', path, { accept: 'text/csv' });
  return await response.blob();
}

/** A query string from optional values; arrays repeat the parameter. */
export function query(params: Record<string, string | number | boolean | string[] | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) for (const item of value) search.append(name, item);
    else search.append(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

export const tenantPath = (tenantId: string) => `/v1/tenants/${encodeURIComponent(tenantId)}`;
