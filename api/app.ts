import { randomUUID } from 'node:crypto';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import {
  jsonSchemaTransform,
  jsonSchemaTransformObject,
  serializerCompiler,
  validatorCompiler,
  type ZodTypeProvider,
} from 'fastify-type-provider-zod';
import rateLimit from '@fastify/rate-limit';
import { createAuthenticator, WWW_AUTHENTICATE } from './auth.js';
import { registerConsole } from './console.js';
import type { ConnectDeps } from '../integrations/connect.js';
import { errorBody, HttpRefusal, toHttpError } from './http-errors.js';
import { CsvExportSlots } from './routes/usage-csv.js';
import { accessRoutes } from './routes/access.js';
import { registerOperationalRoutes } from './probes.js';
import { erasureRoutes } from './routes/erasure.js';
import { integrationRoutes } from './routes/integrations.js';
import { consoleReadRoutes } from './routes/console-reads.js';
import { lifecycleRoutes } from './routes/lifecycle.js';
import { tenantRoutes } from './routes/tenants.js';
import { usageRoutes } from './routes/usage.js';

export interface ApiDeps extends ConnectDeps {
  /** Root logger (pino); the app logs nothing when absent. */
  logger?: FastifyBaseLogger;
  /** The built web console (default: dist/console when built; null: none). */
  consoleDir?: string | null;
}

/** The credential form is three short strings: anything near this size is not a real request. */
export const BODY_LIMIT_BYTES = 64 * 1024;

/**
 * Builds the HTTP API and never listens: api/server.ts listens, tests call `inject()`.
 * Every route, the OpenAPI document and unknown paths included, requires a valid API key (or the
 * bootstrap API_TOKEN), except the two probes /healthz and /readyz (fixed status words only; see
 * docs/OPERATIONS.md). Each route declares the scope it needs and, when it changes state, the action
 * its audit row records (api/auth.ts).
 */
export function buildApp(deps: ApiDeps): FastifyInstance {
  const authenticator = createAuthenticator({ db: deps.db, apiToken: deps.config.API_TOKEN });
  const app = Fastify({
    // Paths the router refuses before any hook (a broken percent-escape, an over-long segment) still
    // get the token check first and our error envelope, never Fastify's own body or the path echoed.
    frameworkErrors: (error, request, reply) => {
      // A reply is thenable; sending it is what ends the request here, nothing awaits it.
      const send = (target: FastifyReply, status: number, body: ReturnType<typeof errorBody>) => void target.code(status).send(body);
      const answer = (principal: unknown) => {
        if (principal === undefined) {
          reply.header('www-authenticate', WWW_AUTHENTICATE);
          send(reply, 401, errorBody('UNAUTHORIZED', 'Send Authorization: Bearer <API key>'));
        } else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
          send(reply, 414, errorBody('URI_TOO_LONG', 'A path segment is longer than the API accepts (512 characters)'));
        } else {
          send(reply, 400, errorBody('BAD_REQUEST', 'The request path is not a valid URL path'));
        }
      };
      authenticator.identify(request.headers.authorization).then(answer, (lookupError: unknown) => {
        request.log.error({ err: lookupError }, 'api key lookup failed');
        send(reply, 500, errorBody('INTERNAL_ERROR', 'Something went wrong on our side; quote the request id when reporting it', { requestId: request.id }));
      });
    },
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: BODY_LIMIT_BYTES,
    genReqId: () => randomUUID(),
    // While draining, a request arriving on an open keep-alive connection is still served (with
    // Connection: close) instead of getting Fastify's bare 503 outside our error envelope.
    return503OnClosing: false,
    // Long tenant ids must reach validation (400), not fall through the router as a 404.
    routerOptions: { maxParamLength: 512 },
    // The whole request (≤ 64 KiB) must arrive within 30 s: a client trickling its body cannot hold a socket forever.
    requestTimeout: 30_000,
  }).withTypeProvider<ZodTypeProvider>();

  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  // JSON only: a text/plain body would otherwise reach validation as a string.
  app.removeContentTypeParser(['text/plain']);

  registerOperationalRoutes(app, deps); // /healthz and /readyz answer before the bearer check below; /metrics stays behind it
  const consoleSite = registerConsole(app, deps.config, deps.consoleDir === null ? undefined : deps.consoleDir);
  // onRequest runs before the body is read, so an unauthenticated caller cannot make us parse anything.
  app.addHook('onRequest', async (request, reply) => {
    reply.header('x-request-id', request.id);
    // The console's built files (no data, no secret) load before the user has pasted a key.
    if (consoleSite.isPublic(request.method, request.url)) return;
    await authenticator.authorize(request);
  });
  // Once the outcome is known, before it is sent: a client that reads its answer finds the row written.
  app.addHook('onSend', async (request, reply, payload) => {
    await authenticator.audit(request, reply);
    return payload;
  });
  // Per key, after authentication (preHandler): one key's burst never spends another's allowance.
  void app.register(rateLimit, {
    hook: 'preHandler',
    max: deps.config.API_RATE_LIMIT_PER_MINUTE,
    timeWindow: 60_000,
    keyGenerator: (request) => request.principal?.keyId ?? request.ip,
    // The plugin throws what this returns; the error handler below shapes it with Retry-After.
    errorResponseBuilder: (_request, context) =>
      new HttpRefusal(
        429,
        'RATE_LIMITED',
        `This key sent more than ${context.max} requests in a minute; retry after ${Math.ceil(context.ttl / 1000)} s`,
        { limitPerMinute: context.max },
        { 'retry-after': String(Math.max(1, Math.ceil(context.ttl / 1000))) },
      ),
  });

  // Closing waits for every open socket; a keep-alive socket of a request that was in flight at
  // close time would otherwise idle until keepAliveTimeout (72 s) before the server can stop.
  let draining = false;
  app.addHook('preClose', async () => {
    draining = true;
  });
  app.addHook('onSend', async (_request, reply, payload) => {
    if (draining) reply.header('connection', 'close');
    return payload;
  });

  app.setErrorHandler((error, request, reply) => {
    const mapped = toHttpError(error, request.id);
    // The canonical code (errors/codes.ts), as Temporal and the worker's logs spell it.
    if (mapped.internal) request.log.error({ err: error, code: mapped.code }, 'request failed');
    else request.log.info({ code: mapped.code, statusCode: mapped.status }, 'request refused');
    for (const [name, value] of Object.entries(mapped.headers ?? {})) void reply.header(name, value);
    return reply.code(mapped.status).send(mapped.body);
  });

  app.setNotFoundHandler((_request, reply) =>
    reply.code(404).send(errorBody('NOT_FOUND', 'No such route; see /openapi.json')),
  );

  void app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'duo-usage-sync client API',
        version: '1.0.0',
        description: 'Connect a tenant\'s Cisco Duo account and follow its sync. Errors: {"error":{"code","message","details"}}.',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
    transform: jsonSchemaTransform,
    transformObject: jsonSchemaTransformObject,
  });
  const csvExports = new CsvExportSlots(deps.config.API_CSV_EXPORTS_PER_KEY);
  void app.register(integrationRoutes, { deps });
  void app.register(lifecycleRoutes, { deps });
  void app.register(tenantRoutes, { deps });
  void app.register(usageRoutes, { deps: { ...deps, csvExports } });
  void app.register(erasureRoutes, { deps });
  void app.register(consoleReadRoutes, { deps: { ...deps, csvExports } });
  void app.register(accessRoutes, { deps });
  app.get('/openapi.json', { schema: { hide: true }, config: { scope: 'authenticated' } }, async () => app.swagger());

  return app;
}
