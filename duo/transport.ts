import { setTimeout as sleep } from 'node:timers/promises';
import { Pool, type Dispatcher } from 'undici';
import { processEnvironment } from '../config/config.js';
import { ConfigError } from '../errors/app-error.js';
import { assertApiHost } from './api-host.js';
import {
  DuoMalformedResponseError,
  DuoNetworkError,
  DuoRateLimitedError,
  DuoTlsError,
  duoErrorFromResponse,
  malformedFromZodError,
  type DuoNetworkFailure,
  type DuoTlsProblem,
} from './errors.js';
import type { EndpointClass, RequestBudget, RequestOutcome } from './request-budget.js';
import { unlimitedBudget } from './request-budget.js';
import { envelopeSchema } from './schemas.js';
import { DEFAULT_SIGNATURE_VERSION, encodeQuery, formatDuoDate, signRequest, type DuoParams, type SignatureVersion } from './signing.js';
import { allowsTestSwitches, TEST_SWITCH_REFUSAL, testConnector, type Connector } from './test-network.js';

/** Default per-attempt deadline. */
export const DEFAULT_DUO_TIMEOUT_MS = 30_000;
/** Responses beyond this size are aborted: a page of 1000 events is a few MB. */
export const DEFAULT_MAX_RESPONSE_BYTES = 20 * 1024 * 1024;
const MAX_CONNECT_TIMEOUT_MS = 10_000;
const MAX_CACHED_POOLS = 500;

/** Default advised wait after a 429 per endpoint class (Duo sends no Retry-After). */
export function defaultRateLimitRetryAfterMs(endpointClass: EndpointClass): number {
  // Log endpoints allow about one call a minute; object lists recover much faster.
  return endpointClass === 'log' ? 60_000 : 10_000;
}

/** How the transport reaches Duo and signs for it. The secret stays inside the closure. */
export interface DuoTransportOptions {
  /** The tenant's API host; validated here, before any network call. */
  apiHost: string;
  integrationKey: string;
  secretKey: string;
  /**
   * Tests and local runs only: send requests to this origin (e.g. `http://127.0.0.1:9100`). The
   * `Host` header is the override's; the signature still covers the tenant's API host, so the
   * simulator finds the account by integration key and verifies against that account's host.
   */
  originOverride?: string | undefined;
  /**
   * Tests only: `host:address:port` entries (comma-separated; host `*` for any) sending connections
   * for the API host to another address. The URL stays `https://<api host>`, and so do the Host
   * header, SNI and the certificate check: the production TLS path runs, only the TCP peer differs.
   */
  testResolve?: string | undefined;
  /** Tests only: a PEM file of one more certificate authority to trust (a CA made by the test). */
  testCaFile?: string | undefined;
  timeoutMs?: number | undefined;
  signatureVersion?: SignatureVersion | undefined;
  budget?: RequestBudget | undefined;
  now?: (() => number) | undefined;
  rateLimitRetryAfterMs?: ((endpointClass: EndpointClass) => number) | undefined;
  maxResponseBytes?: number | undefined;
}

/** One GET to the Admin API. */
export interface DuoGetRequest {
  /** Path only, e.g. `/admin/v1/users`. */
  path: string;
  params: DuoParams;
  endpointClass: EndpointClass;
  signal?: AbortSignal | undefined;
  /** For endpoints Duo serves to one scheme only (e.g. v5); default: the transport's. */
  signatureVersion?: SignatureVersion | undefined;
}

/** The useful parts of a `stat: "OK"` answer. */
export interface DuoOkResponse {
  status: number;
  response: unknown;
  /** Top-level `metadata` (object lists); v2 logs carry theirs inside `response`. */
  metadata: unknown;
}

/** Sends signed requests to one Duo account. */
export interface DuoTransport {
  readonly apiHost: string;
  /** Signs (fresh Date) and sends one GET, retrying once only on a connection reset. */
  get(request: DuoGetRequest): Promise<DuoOkResponse>;
}

const pools = new Map<string, Pool>();

/** How a pool connects: undici's default connector, or the test switches' (keyed by what they were given). */
interface PoolConnection {
  connectTimeoutMs: number;
  connector?: { key: string; connect: Connector } | undefined;
}

function poolFor(origin: string, connection: PoolConnection): Pool {
  const { connectTimeoutMs, connector } = connection;
  const key = `${origin}#${connectTimeoutMs}#${connector?.key ?? ''}`;
  const cached = pools.get(key);
  if (cached && !cached.closed && !cached.destroyed) {
    // Re-insert to keep the Map in least-recently-used order.
    pools.delete(key);
    pools.set(key, cached);
    return cached;
  }
  const pool = new Pool(origin, {
    connections: 8,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 600_000,
    connect: connector ? connector.connect : { timeout: connectTimeoutMs },
  });
  pools.set(key, pool);
  if (pools.size > MAX_CACHED_POOLS) {
    const [oldestKey, oldest] = pools.entries().next().value ?? [];
    if (oldestKey !== undefined && oldest) {
      pools.delete(oldestKey);
      // close() lets in-flight requests finish.
      void oldest.close().catch(() => undefined);
    }
  }
  return pool;
}

/** Closes every cached keep-alive pool (graceful shutdown, end of a test file). */
export async function closeDuoConnections(): Promise<void> {
  const all = [...pools.values()];
  pools.clear();
  await Promise.all(all.map((pool) => pool.close().catch(() => undefined)));
}

/** Accepts only `http(s)://host[:port]` with nothing else; returns the normalised origin. */
export function parseOriginOverride(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError('DUO_API_ORIGIN_OVERRIDE must be an http(s) origin such as http://127.0.0.1:9100', ['DUO_API_ORIGIN_OVERRIDE']);
  }
  const bare = (url.pathname === '/' || url.pathname === '') && !url.search && !url.hash && !url.username && !url.password;
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || !bare) {
    throw new ConfigError('DUO_API_ORIGIN_OVERRIDE must be an http(s) origin without path, query or credentials', ['DUO_API_ORIGIN_OVERRIDE']);
  }
  return url.origin;
}

function errorCodes(error: unknown): string[] {
  const codes: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    if ('code' in current && typeof current.code === 'string') codes.push(current.code);
    current = 'cause' in current ? current.cause : undefined;
  }
  return codes;
}

/** Names the network failure behind an undici or socket error. */
export function classifyNetworkError(error: unknown): DuoNetworkFailure {
  const codes = errorCodes(error);
  const has = (...candidates: string[]): boolean => codes.some((code) => candidates.includes(code));
  if (has('UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT', 'DUO_DEADLINE')) {
    return 'timeout';
  }
  if (has('ENOTFOUND', 'EAI_AGAIN', 'EAI_FAIL', 'EAI_NODATA', 'EAI_NONAME')) return 'dns';
  if (has('ECONNREFUSED')) return 'refused';
  if (has('ECONNRESET', 'EPIPE', 'ECONNABORTED', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED')) return 'reset';
  if (codes.some((code) => code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || code.includes('CERT'))) return 'tls';
  return 'other';
}

/** OpenSSL's and Node's certificate verification codes, by what they mean for an operator. */
const certificateProblems: Readonly<Record<string, DuoTlsProblem>> = {
  ERR_TLS_CERT_ALTNAME_INVALID: 'hostname_mismatch',
  HOSTNAME_MISMATCH: 'hostname_mismatch',
  CERT_HAS_EXPIRED: 'expired_certificate',
  CERT_NOT_YET_VALID: 'certificate_not_yet_valid',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'untrusted_certificate',
  UNABLE_TO_GET_ISSUER_CERT: 'untrusted_certificate',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'untrusted_certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'untrusted_certificate',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'untrusted_certificate',
  CERT_UNTRUSTED: 'untrusted_certificate',
  CERT_REJECTED: 'untrusted_certificate',
  CERT_REVOKED: 'untrusted_certificate',
  CERT_SIGNATURE_FAILURE: 'untrusted_certificate',
  CERT_CHAIN_TOO_LONG: 'untrusted_certificate',
  INVALID_CA: 'untrusted_certificate',
  INVALID_PURPOSE: 'untrusted_certificate',
};

/** The certificate problem behind a failed connection, if that is what failed it. */
export function certificateProblem(error: unknown): { problem: DuoTlsProblem; tlsCode: string } | undefined {
  for (const code of errorCodes(error)) {
    const problem = certificateProblems[code];
    if (problem) return { problem, tlsCode: code };
  }
  return undefined;
}

class DeadlineExceeded extends Error {
  readonly code = 'DUO_DEADLINE';
}

async function readBounded(body: Dispatcher.ResponseData['body'], maxBytes: number, endpoint: string, status: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer: Buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > maxBytes) {
      body.destroy();
      throw new DuoMalformedResponseError({ status, duoCode: null, endpoint }, `response larger than ${maxBytes} bytes, aborted`);
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks, size);
}

function parseJson(text: Buffer): { ok: true; value: unknown } | { ok: false } {
  try {
    const value: unknown = JSON.parse(text.toString('utf8'));
    return { ok: true, value };
  } catch {
    return { ok: false };
  }
}

/**
 * Refuses test-only switches unless this process was started for development or tests. The config
 * module already refuses the variables elsewhere; this catches a caller that builds a transport
 * from anything else.
 */
function assertTestSwitchesAllowed(options: DuoTransportOptions): void {
  const switches: Record<string, string | undefined> = {
    DUO_API_ORIGIN_OVERRIDE: options.originOverride,
    DUO_TEST_RESOLVE: options.testResolve,
    DUO_TEST_CA_FILE: options.testCaFile,
  };
  const given = Object.keys(switches).filter((variable) => switches[variable] !== undefined);
  const [first] = given;
  // Defence in depth: a transport built without loadConfig still refuses test switches outside development and tests.
  if (first !== undefined && !allowsTestSwitches(processEnvironment().NODE_ENV)) throw new ConfigError(`${first} ${TEST_SWITCH_REFUSAL}`, given);
  if (options.originOverride !== undefined && options.testResolve !== undefined) {
    throw new ConfigError('DUO_API_ORIGIN_OVERRIDE and DUO_TEST_RESOLVE exclude each other', ['DUO_API_ORIGIN_OVERRIDE', 'DUO_TEST_RESOLVE']);
  }
}

/**
 * Builds the transport for one Duo account. Throws DuoInvalidApiHostError for a bad host, and
 * ConfigError for a test-only switch that is malformed or used outside development and tests.
 */
export function createDuoTransport(options: DuoTransportOptions): DuoTransport {
  const apiHost = assertApiHost(options.apiHost);
  assertTestSwitchesAllowed(options);
  const origin = options.originOverride === undefined ? `https://${apiHost}` : parseOriginOverride(options.originOverride);
  const integrationKey = options.integrationKey;
  const secretKey = options.secretKey;
  const timeoutMs = options.timeoutMs ?? DEFAULT_DUO_TIMEOUT_MS;
  const signatureVersion = options.signatureVersion ?? DEFAULT_SIGNATURE_VERSION;
  const budget = options.budget ?? unlimitedBudget;
  const now = options.now ?? Date.now;
  const retryAfterMs = options.rateLimitRetryAfterMs ?? defaultRateLimitRetryAfterMs;
  const maxResponseBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES;
  const connectTimeoutMs = Math.min(timeoutMs, MAX_CONNECT_TIMEOUT_MS);
  const { testResolve, testCaFile } = options;
  // Built here, so malformed switches fail at construction rather than on the first request.
  const connection: PoolConnection = {
    connectTimeoutMs,
    connector:
      testResolve === undefined && testCaFile === undefined
        ? undefined
        : { key: `${testResolve ?? ''}#${testCaFile ?? ''}`, connect: testConnector(apiHost, { resolve: testResolve, caFile: testCaFile }, connectTimeoutMs) },
  };

  async function attempt(request: DuoGetRequest): Promise<DuoOkResponse> {
    const endpoint = request.path;
    const query = encodeQuery(request.params);
    // A fresh date and signature per attempt: Duo rejects reused dates (40103).
    const signed = signRequest({
      version: request.signatureVersion ?? signatureVersion,
      integrationKey,
      secretKey,
      method: 'GET',
      host: apiHost,
      path: request.path,
      params: request.params,
      date: formatDuoDate(now()),
    });
    const deadline = AbortSignal.timeout(timeoutMs);
    const signal = request.signal ? AbortSignal.any([request.signal, deadline]) : deadline;
    let status: number;
    let raw: Buffer;
    try {
      const response = await poolFor(origin, connection).request({
        path: query ? `${request.path}?${query}` : request.path,
        method: 'GET',
        headers: { ...signed, accept: 'application/json', 'user-agent': 'duo-usage-sync' },
        signal,
        headersTimeout: timeoutMs,
        bodyTimeout: timeoutMs,
      });
      status = response.statusCode;
      raw = await readBounded(response.body, maxResponseBytes, endpoint, status);
    } catch (error) {
      if (request.signal?.aborted) throw request.signal.reason;
      if (error instanceof DuoMalformedResponseError) throw error;
      const cause = deadline.aborted ? new DeadlineExceeded(`no complete answer within ${timeoutMs} ms`) : error;
      const certificate = certificateProblem(cause);
      if (certificate) throw new DuoTlsError(endpoint, certificate.problem, certificate.tlsCode);
      throw new DuoNetworkError(endpoint, classifyNetworkError(cause), cause);
    }

    const parsed = parseJson(raw);
    const context = { status, duoCode: null, endpoint };
    if (status < 200 || status >= 300) {
      throw duoErrorFromResponse({
        status,
        body: parsed.ok ? parsed.value : undefined,
        endpoint,
        rateLimitRetryAfterMs: retryAfterMs(request.endpointClass),
      });
    }
    if (!parsed.ok) throw new DuoMalformedResponseError(context, 'body is not valid JSON');
    const envelope = envelopeSchema.safeParse(parsed.value);
    if (!envelope.success) throw malformedFromZodError(context, envelope.error, '');
    if (envelope.data.stat === 'FAIL') {
      throw duoErrorFromResponse({ status, body: parsed.value, endpoint, rateLimitRetryAfterMs: retryAfterMs(request.endpointClass) });
    }
    return { status, response: envelope.data.response, metadata: envelope.data.metadata };
  }

  async function get(request: DuoGetRequest): Promise<DuoOkResponse> {
    if (!request.path.startsWith('/') || /[?#]/.test(request.path)) {
      throw new TypeError('Duo request path must start with / and carry no query string');
    }
    for (let attemptNumber = 1; ; attemptNumber += 1) {
      request.signal?.throwIfAborted();
      await budget.acquire(request.endpointClass, request.signal);
      let outcome: RequestOutcome = 'failed';
      try {
        const result = await attempt(request);
        outcome = 'ok';
        return result;
      } catch (error) {
        if (error instanceof DuoRateLimitedError) outcome = 'rate_limited';
        // Only a reset connection is retried here (a keep-alive socket closed under us; the GET is
        // idempotent); everything else goes up typed so Temporal's retry policy decides.
        const retry = attemptNumber === 1 && error instanceof DuoNetworkError && error.failure === 'reset';
        if (!retry) throw error;
      } finally {
        await budget.report(request.endpointClass, outcome);
      }
      // Jittered so that many workers hit by one network blip do not reconnect in lockstep.
      try {
        await sleep(50 + Math.floor(Math.random() * 250), undefined, request.signal ? { signal: request.signal } : {});
      } catch (error) {
        throw request.signal?.aborted ? request.signal.reason : error;
      }
    }
  }

  return { apiHost, get };
}
