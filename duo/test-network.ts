import { readFileSync } from 'node:fs';
import { rootCertificates } from 'node:tls';
import { buildConnector } from 'undici';
import { ConfigError } from '../errors/app-error.js';

/**
 * Test-only switches of the Duo transport: where to connect instead of Duo (`DUO_TEST_RESOLVE`),
 * and one more certificate authority to trust (`DUO_TEST_CA_FILE`). With them a request still goes
 * to `https://<api host>`, with that Host header, SNI and certificate check, so the TLS code that
 * reaches real Duo is the code under test; only the TCP address differs. Like the origin override,
 * they work only in a process started explicitly for development or tests.
 */

/** NODE_ENV values that declare a process started for development or tests. */
export const TEST_SWITCH_ENVIRONMENTS = ['development', 'test'] as const;

/** Whether test-only switches may take effect under this NODE_ENV (an unset one refuses them). */
export function allowsTestSwitches(nodeEnv: string | undefined): boolean {
  return TEST_SWITCH_ENVIRONMENTS.some((name) => name === nodeEnv);
}

/** The refusal every entry point gives, after the variable's name, for a test-only switch outside development and tests. */
export const TEST_SWITCH_REFUSAL =
  'is for tests and local runs only: it takes effect only when NODE_ENV is development or test (refused when NODE_ENV is production or unset)';

/** One `DUO_TEST_RESOLVE` entry: connections for `host` (`*`: any API host) go to `address:port`. */
export interface ResolveEntry {
  host: string;
  address: string;
  port: number;
}

const ENTRY = /^(\*|[A-Za-z0-9.-]+):([^:,\s]+|\[[0-9A-Fa-f:.]+\]):(\d{1,5})$/;

/** Parses `host:address:port[,host:address:port...]` (IPv6 addresses in brackets). */
export function parseTestResolve(value: string): ResolveEntry[] {
  const entries: ResolveEntry[] = [];
  for (const raw of value.split(',').map((part) => part.trim()).filter(Boolean)) {
    const match = ENTRY.exec(raw);
    const port = Number(match?.[3]);
    if (!match?.[1] || !match[2] || !Number.isInteger(port) || port < 1 || port > 65_535) {
      throw new ConfigError('DUO_TEST_RESOLVE must be host:address:port entries, comma-separated (host * for any API host)', ['DUO_TEST_RESOLVE']);
    }
    entries.push({ host: match[1].toLowerCase(), address: match[2].replace(/^\[|\]$/g, ''), port });
  }
  if (entries.length === 0) throw new ConfigError('DUO_TEST_RESOLVE names no host:address:port entry', ['DUO_TEST_RESOLVE']);
  return entries;
}

/** Where connections for `apiHost` go: its own entry, else the `*` entry, else nowhere special. */
export function resolveFor(entries: readonly ResolveEntry[], apiHost: string): ResolveEntry | undefined {
  return entries.find((entry) => entry.host === apiHost) ?? entries.find((entry) => entry.host === '*');
}

const caCache = new Map<string, string>();

/** The PEM of the CA file, read once per path; a ConfigError (naming the variable, not the path) when unusable. */
export function readTestCa(path: string): string {
  const cached = caCache.get(path);
  if (cached !== undefined) return cached;
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch {
    throw new ConfigError('DUO_TEST_CA_FILE cannot be read', ['DUO_TEST_CA_FILE']);
  }
  if (!pem.includes('-----BEGIN CERTIFICATE-----')) throw new ConfigError('DUO_TEST_CA_FILE holds no PEM certificate', ['DUO_TEST_CA_FILE']);
  caCache.set(path, pem);
  return pem;
}

/** What a transport was given for tests; both absent in production. */
export interface TestNetworkOptions {
  resolve?: string | undefined;
  caFile?: string | undefined;
}

/** The undici connect function for a pool to `apiHost` under the test switches. */
export type Connector = ReturnType<typeof buildConnector>;

/**
 * A connector that dials the resolved address instead of the API host's, keeping the API host as
 * the TLS server name (SNI and certificate check), and trusting the test CA besides the usual roots.
 */
export function testConnector(apiHost: string, options: TestNetworkOptions, timeoutMs: number): Connector {
  const target = options.resolve === undefined ? undefined : resolveFor(parseTestResolve(options.resolve), apiHost);
  const ca = options.caFile === undefined ? undefined : [...rootCertificates, readTestCa(options.caFile)];
  const connect = buildConnector({ timeout: timeoutMs, ...(ca ? { ca } : {}) });
  if (!target) return connect;
  return (connectOptions, callback) =>
    connect({ ...connectOptions, hostname: target.address, port: String(target.port), servername: apiHost }, callback);
}
