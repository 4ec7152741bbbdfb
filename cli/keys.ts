import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { loadDatabaseUrl, processEnvironment } from '../config/config.js';
import { createApiKey, listApiKeys, revokeApiKey, type ApiKeyMetadata } from '../db/api-keys.js';
import { createDatabase } from '../db/client.js';
import { runMigrations } from '../db/migrate.js';
import { apiKeyScopes } from '../db/schema.js';

const usage = `Usage: npm run keys -- create --name <name> --scope <scope> [--scope <scope> …] [--tenant <tenantId>] [--expires <ISO date-time>]
       npm run keys -- list
       npm run keys -- revoke <keyId>

Scopes: ${apiKeyScopes.join(', ')} (admin implies every other; admin and metrics:read cannot be bound to a tenant).
Talks to the database of DATABASE_URL directly. The secret of a new key is printed once; only its
hash is stored.`;

/** The same rules as POST /v1/keys, in CLI spelling. */
const createSchema = z
  .object({
    name: z.string().trim().min(1, '--name is required (1 to 100 characters)').max(100, '--name must be at most 100 characters'),
    scope: z.array(z.enum(apiKeyScopes, { error: `--scope must be one of ${apiKeyScopes.join(', ')}` })).min(1, 'at least one --scope is required'),
    tenant: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, '--tenant must be 1 to 64 letters, digits, "_" or "-"').optional(),
    expires: z.iso.datetime({ offset: true, error: '--expires must be an ISO 8601 date-time with a time zone' }).optional(),
  })
  .superRefine((args, ctx) => {
    if (args.tenant !== undefined && args.scope.some((scope) => scope === 'admin' || scope === 'metrics:read')) {
      ctx.addIssue({ code: 'custom', path: ['tenant'], message: '--tenant cannot bind a key with admin or metrics:read, which see every tenant' });
    }
    if (args.expires !== undefined && Date.parse(args.expires) <= Date.now()) {
      ctx.addIssue({ code: 'custom', path: ['expires'], message: '--expires must be in the future' });
    }
  });

export interface KeysIo {
  out(text: string): void;
  err(text: string): void;
}

const line = (key: ApiKeyMetadata) =>
  [key.keyId, key.name, key.scopes.join(','), key.tenantId ?? '*', key.revokedAt ? `revoked ${key.revokedAt}` : key.expiresAt ? `expires ${key.expiresAt}` : 'active', `last used ${key.lastUsedAt ?? 'never'}`].join('\t');

/** Runs one command; returns the exit code (0 done, 1 failed, 2 usage). */
export async function runKeysCli(argv: readonly string[], env: Record<string, string | undefined>, io: KeysIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { name: { type: 'string' }, scope: { type: 'string', multiple: true }, tenant: { type: 'string' }, expires: { type: 'string' }, help: { type: 'boolean' } },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    io.err(`${error instanceof Error ? error.message : 'invalid arguments'}\n\n${usage}\n`);
    return 2;
  }
  const [command, ...rest] = parsed.positionals;
  if (parsed.values.help || command === undefined) {
    io.out(`${usage}\n`);
    return parsed.values.help ? 0 : 2;
  }
  if (!['create', 'list', 'revoke'].includes(command) || (command !== 'revoke' && rest.length > 0) || (command === 'revoke' && rest.length !== 1)) {
    io.err(`${usage}\n`);
    return 2;
  }
  let args: z.infer<typeof createSchema> | undefined;
  if (command === 'create') {
    const checked = createSchema.safeParse({ ...parsed.values, scope: parsed.values.scope ?? [] });
    if (!checked.success) {
      io.err(`${checked.error.issues.map((issue) => issue.message).join('\n')}\n`);
      return 2;
    }
    args = checked.data;
  }
  const url = loadDatabaseUrl(env);
  await runMigrations(url);
  const database = createDatabase(url, { poolSize: 1 });
  try {
    if (command === 'create' && args) {
      const created = await createApiKey(database.db, {
        name: args.name,
        scopes: args.scope,
        tenantId: args.tenant ?? null,
        expiresAt: args.expires === undefined ? null : new Date(args.expires),
      });
      io.err(`Created key ${created.key.keyId} (${created.key.name}). The secret below is shown once; store it now:\n`);
      io.out(`${created.secret}\n`);
      return 0;
    }
    if (command === 'list') {
      for (const key of await listApiKeys(database.db)) io.out(`${line(key)}\n`);
      return 0;
    }
    const keyId = rest[0] ?? '';
    const revoked = /^[0-9a-f]{16}$/.test(keyId) ? await revokeApiKey(database.db, keyId) : undefined;
    if (!revoked) {
      io.err(`No API key with id ${JSON.stringify(keyId.slice(0, 40))}\n`);
      return 1;
    }
    io.out(`${line(revoked)}\n`);
    return 0;
  } finally {
    await database.close();
  }
}

function isEntryPoint(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  try {
    return import.meta.url === pathToFileURL(realpathSync(entry)).href;
  } catch {
    return false;
  }
}

if (isEntryPoint()) {
  runKeysCli(process.argv.slice(2), processEnvironment(), { out: (text) => process.stdout.write(text), err: (text) => process.stderr.write(text) }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`keys failed: ${error instanceof Error ? error.message : 'unknown error'}\n`);
      process.exitCode = 1;
    },
  );
}
