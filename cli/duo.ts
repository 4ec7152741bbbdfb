import { realpathSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { duoCliEnvSchema, processEnvironment } from '../config/config.js';
import { AppError } from '../errors/app-error.js';
import { apiHostSchema } from '../duo/api-host.js';
import { createDuoClient } from '../duo/client.js';
import type { CredentialCheckResult, PermissionCheckResult } from '../duo/credential-check.js';
import { integrationKeySchema, secretKeySchema } from '../duo/credential-formats.js';
import { signatureVersions } from '../duo/signing.js';
import { closeDuoConnections } from '../duo/transport.js';

const usage = `Usage: npm run duo -- check --api-host <api-xxxxxxxx.duosecurity.com> --ikey <integration key>
       [--signature-version ${signatureVersions.join('|')}] [--timeout-ms <ms>]

The secret key is read from DUO_SECRET_KEY, or asked for without echo; it is never an argument.
DUO_API_ORIGIN_OVERRIDE, DUO_TEST_RESOLVE and DUO_TEST_CA_FILE (tests and local runs only, with
NODE_ENV=development or test) send the requests to a simulator.`;

const argsSchema = z.object({
  apiHost: apiHostSchema,
  ikey: integrationKeySchema,
  signatureVersion: z.enum(signatureVersions).optional(),
  timeoutMs: z.coerce.number().int().min(1000).max(300_000).optional(),
});

/** Where the command writes and how it asks for the secret; replaced in tests. */
export interface CliIo {
  out(text: string): void;
  err(text: string): void;
  readSecret(prompt: string): Promise<string>;
}

const secretArgument = /^--?(skey|secret|secret[-_]?key|sk)(=|$)/i;

const cliOptions = {
  'api-host': { type: 'string' },
  ikey: { type: 'string' },
  'signature-version': { type: 'string' },
  'timeout-ms': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const;

function parseCliArgs(argv: readonly string[]) {
  try {
    return { ok: true as const, ...parseArgs({ args: [...argv], options: cliOptions, allowPositionals: true, strict: true }) };
  } catch (error) {
    return { ok: false as const, message: error instanceof Error ? error.message : 'Invalid arguments' };
  }
}

function issuesText(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || '(input)'} ${issue.message}`.trim()).join('; ');
}

function describe(result: PermissionCheckResult): string {
  return result.ok ? 'OK' : `FAILED ${result.code}: ${result.message}`;
}

function describeOptional(granted: boolean | null): string {
  return granted === null ? 'not known' : granted ? 'granted' : 'not granted';
}

function report(io: CliIo, apiHost: string, result: CredentialCheckResult): void {
  io.out(`Duo Admin API credential check for ${apiHost}\n`);
  io.out(`  Grant read resource: ${describe(result.permissions.readResource)}\n`);
  io.out(`  Grant read log:      ${describe(result.permissions.readLog)}\n`);
  io.out(`Optional: Grant read information ${describeOptional(result.optionalGrants.readInformation)}, `);
  io.out(`Grant applications ${describeOptional(result.optionalGrants.readApplications)}\n`);
  io.out(result.ok ? 'Result: OK\n' : `Result: FAILED (${result.verdict})\n`);
}

/**
 * Runs `check` and returns the exit code: 0 when every permission works, 1 when the check found
 * a problem, 2 for a usage or configuration error.
 */
export async function runDuoCli(argv: readonly string[], env: Record<string, string | undefined>, io: CliIo): Promise<number> {
  if (argv.some((arg) => secretArgument.test(arg))) {
    io.err('The secret key is never accepted as an argument (it would end up in shell history and process lists).\n');
    io.err('Set DUO_SECRET_KEY or type it at the prompt.\n');
    return 2;
  }
  const parsed = parseCliArgs(argv);
  if (!parsed.ok) {
    io.err(`${parsed.message}\n${usage}\n`);
    return 2;
  }
  if (parsed.values.help) {
    io.out(`${usage}\n`);
    return 0;
  }
  if (parsed.positionals.length !== 1 || parsed.positionals[0] !== 'check') {
    io.err(`${usage}\n`);
    return 2;
  }
  const args = argsSchema.safeParse({
    apiHost: parsed.values['api-host'],
    ikey: parsed.values.ikey,
    signatureVersion: parsed.values['signature-version'],
    timeoutMs: parsed.values['timeout-ms'],
  });
  if (!args.success) {
    io.err(`Invalid arguments: ${issuesText(args.error)}\n${usage}\n`);
    return 2;
  }
  // Empty strings count as unset.
  const cleanEnv = Object.fromEntries(Object.entries(env).filter(([, value]) => value !== undefined && value !== ''));
  const config = duoCliEnvSchema.safeParse(cleanEnv);
  if (!config.success) {
    io.err(`Invalid environment: ${issuesText(config.error)}\n`);
    return 2;
  }

  let secretKey = config.data.DUO_SECRET_KEY;
  if (secretKey === undefined) {
    const typed = secretKeySchema.safeParse((await io.readSecret('Duo secret key: ')).trim());
    if (!typed.success) {
      io.err(`Invalid secret key: ${issuesText(typed.error)}\n`);
      return 2;
    }
    secretKey = typed.data;
  }
  if (config.data.DUO_API_ORIGIN_OVERRIDE) {
    io.err(`Note: sending requests to ${config.data.DUO_API_ORIGIN_OVERRIDE} (DUO_API_ORIGIN_OVERRIDE), signed for ${args.data.apiHost}\n`);
  }

  try {
    const client = createDuoClient({
      apiHost: args.data.apiHost,
      integrationKey: args.data.ikey,
      secretKey,
      originOverride: config.data.DUO_API_ORIGIN_OVERRIDE,
      testResolve: config.data.DUO_TEST_RESOLVE,
      testCaFile: config.data.DUO_TEST_CA_FILE,
      signatureVersion: args.data.signatureVersion,
      timeoutMs: args.data.timeoutMs,
    });
    const result = await client.checkCredentials();
    report(io, args.data.apiHost, result);
    return result.ok ? 0 : 1;
  } catch (error) {
    if (error instanceof AppError) {
      io.err(`${error.code}: ${error.message}\n`);
      return error.code === 'CONFIG_INVALID' ? 2 : 1;
    }
    throw error;
  } finally {
    await closeDuoConnections();
  }
}

async function readLine(stream: NodeJS.ReadStream): Promise<string> {
  let text = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream) {
    text += String(chunk);
    const newline = text.indexOf('\n');
    if (newline >= 0) return text.slice(0, newline);
  }
  return text;
}

/** Reads a line from the terminal without echoing it; from piped stdin when there is no terminal. */
export async function promptHidden(prompt: string): Promise<string> {
  const stdin = process.stdin;
  if (!stdin.isTTY) return readLine(stdin);
  process.stderr.write(prompt);
  return new Promise<string>((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      stdin.setRawMode(false);
      stdin.pause();
      stdin.off('data', onData);
      process.stderr.write('\n');
    };
    const onData = (chunk: string): void => {
      for (const char of chunk) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (char === '\u0003') {
          finish();
          reject(new Error('Cancelled'));
          return;
        }
        if (char === '\u007f' || char === '\b') value = value.slice(0, -1);
        else value += char;
      }
    };
    stdin.setRawMode(true);
    stdin.setEncoding('utf8');
    stdin.on('data', onData);
    stdin.resume();
  });
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
  const io: CliIo = {
    out: (text) => process.stdout.write(text),
    err: (text) => process.stderr.write(text),
    readSecret: promptHidden,
  };
  runDuoCli(process.argv.slice(2), processEnvironment(), io).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      process.stderr.write(`Unexpected failure: ${error instanceof Error ? error.message : 'unknown error'}\n`);
      process.exitCode = 1;
    },
  );
}
