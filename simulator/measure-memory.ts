import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { authorizationHeader, canonicalParams, canonicalV2, hmacHex, type Param } from './signature.js';

/**
 * Memory check: runs the simulator in a child process with one big account, pages through every
 * authentication event over HTTP (limit 1000), and reports the child's peak resident set size.
 *
 *   npx tsx simulator/measure-memory.ts [--events 1000000] [--days 30] [--users 10000]
 */

export interface MemoryReport {
  events: number;
  totalObjects: number;
  pages: number;
  seconds: number;
  /** Peak RSS of the simulator process (VmHWM from /proc, or the highest sample elsewhere). */
  peakRssBytes: number;
  /** RSS once the simulator was ready, before the first request. */
  startRssBytes: number;
  /** RSS after the crawl finished. */
  finalRssBytes: number;
  ordered: boolean;
}

export interface MemoryOptions {
  events: number;
  days: number;
  users: number;
  limit?: number;
}

const readySchema = z.object({
  origin: z.string(),
  pid: z.number(),
  accounts: z.array(z.object({ integrationKey: z.string(), secretKey: z.string(), apiHost: z.string() })),
});
const pageSchema = z.object({
  response: z.object({
    authlogs: z.array(z.object({ txid: z.string(), isotimestamp: z.string() })),
    metadata: z.object({ next_offset: z.tuple([z.string(), z.string()]).nullable(), total_objects: z.number() }),
  }),
});

const repoRoot = fileURLToPath(new URL('..', import.meta.url));

function rssOf(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb('VmRSS'), peak: kb('VmHWM') };
  } catch {
    return undefined;
  }
}

async function startChild(options: MemoryOptions): Promise<{ child: ChildProcess; ready: z.infer<typeof readySchema> }> {
  const args = [
    '--import', 'tsx', 'simulator/main.ts', '--json', '--port', '0', '--seed', '7',
    '--events', String(options.events), '--days', String(options.days), '--users', String(options.users),
    '--live-per-minute', '0',
  ];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  if (!child.stdout) throw new Error('simulator child has no stdout');
  const lines = createInterface({ input: child.stdout });
  const first = await new Promise<string>((resolve, reject) => {
    lines.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`simulator exited early with code ${code ?? 'null'}`)));
  });
  lines.close();
  return { child, ready: readySchema.parse(JSON.parse(first)) };
}

function get(agent: Agent, origin: string, path: string, query: string, headers: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = request(new URL(`${path}?${query}`, origin), { agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(text);
        else reject(new Error(`HTTP ${res.statusCode ?? 0}: ${text.slice(0, 200)}`));
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export async function measureMemory(options: MemoryOptions): Promise<MemoryReport> {
  const { child, ready } = await startChild(options);
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const startRssBytes = rssOf(ready.pid)?.rss ?? 0;
  try {
    const account = ready.accounts[0];
    if (!account) throw new Error('simulator reported no account');
    const path = '/admin/v2/logs/authentication';
    const started = Date.now();
    const window = { mintime: String(started - options.days * 86_400_000 - 3_600_000), maxtime: String(started - 120_000) };
    let cursor: [string, string] | null = null;
    let events = 0;
    let pages = 0;
    let totalObjects = -1;
    let ordered = true;
    let last = '';
    let peakSample = 0;
    do {
      const params: Param[] = [
        ['mintime', window.mintime], ['maxtime', window.maxtime], ['limit', String(options.limit ?? 1000)], ['sort', 'ts:asc'],
      ];
      if (cursor) params.push(['next_offset', cursor.join(',')]);
      const date = new Date().toUTCString();
      const canonical = canonicalV2({ date, method: 'GET', host: account.apiHost, path, params });
      const headers = { Date: date, Authorization: authorizationHeader(account.integrationKey, hmacHex(account.secretKey, canonical, 'sha512')) };
      const page = pageSchema.parse(JSON.parse(await get(agent, ready.origin, path, canonicalParams(params), headers)));
      if (totalObjects < 0) totalObjects = page.response.metadata.total_objects;
      for (const event of page.response.authlogs) {
        // isotimestamp sorts like the millisecond timestamp (fixed width), then txid breaks ties.
        const key = `${event.isotimestamp} ${event.txid}`;
        if (key <= last) ordered = false;
        last = key;
      }
      events += page.response.authlogs.length;
      pages++;
      cursor = page.response.metadata.next_offset;
      if (pages % 25 === 0) peakSample = Math.max(peakSample, rssOf(ready.pid)?.rss ?? 0);
    } while (cursor);
    const memory = rssOf(ready.pid);
    return {
      events,
      totalObjects,
      pages,
      seconds: (Date.now() - started) / 1000,
      peakRssBytes: Math.max(memory?.peak ?? 0, peakSample),
      startRssBytes,
      finalRssBytes: memory?.rss ?? 0,
      ordered,
    };
  } finally {
    agent.destroy();
    child.kill('SIGTERM');
    await new Promise((resolve) => (child.exitCode === null ? child.once('exit', resolve) : resolve(undefined)));
  }
}

async function runFromCommandLine(): Promise<void> {
  const { values } = parseArgs({
    options: { events: { type: 'string' }, days: { type: 'string' }, users: { type: 'string' } },
  });
  const report = await measureMemory({
    events: Number(values.events ?? 1_000_000),
    days: Number(values.days ?? 30),
    users: Number(values.users ?? 10_000),
  });
  const mb = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  process.stdout.write(
    `${report.events} events in ${report.pages} pages (total_objects ${report.totalObjects}, ordered ${report.ordered}) ` +
      `in ${report.seconds.toFixed(1)} s; simulator RSS at start ${mb(report.startRssBytes)}, peak ${mb(report.peakRssBytes)}, ` +
      `final ${mb(report.finalRssBytes)}\n`,
  );
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  runFromCommandLine().catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
