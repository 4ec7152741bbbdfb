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
import { createBearerCheck, WWW_AUTHENTICATE } from './auth.js';
import { registerConsole } from './console.js';
import type { ConnectDeps } from '../integrations/connect.js';
import { errorBody, toHttpError } from './http-errors.js';
import { registerOperationalRoutes } from './probes.js';
import { integrationRoutes } from './routes/integrations.js';
import { consoleReadRoutes } from './routes/console-reads.js';
import { lifecycleRoutes } from './routes/lifecycle.js';
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
 * Every route, the OpenAPI document and unknown paths included, requires the bearer token, except the
 * two probes /healthz and /readyz (fixed status words only; see docs/OPERATIONS.md).
 */
export function buildApp(deps: ApiDeps): FastifyInstance {
  const isAuthorized = createBearerCheck(deps.config.API_TOKEN);
  const app = Fastify({
    // Paths the router refuses before any hook (a broken percent-escape, an over-long segment) still
    // get the token check first and our error envelope, never Fastify's own body or the path echoed.
    frameworkErrors: (error, request, reply) => {
      // A reply is thenable; sending it is what ends the request here, nothing awaits it.
      const send = (target: FastifyReply, status: number, body: ReturnType<typeof errorBody>) => void target.code(status).send(body);
      if (!isAuthorized(request.headers.authorization)) {
        reply.header('www-authenticate', WWW_AUTHENTICATE);
        send(reply, 401, errorBody('UNAUTHORIZED', 'Send Authorization: Bearer <API_TOKEN>'));
      } else if (error.code === 'FST_ERR_MAX_PARAM_LENGTH') {
        send(reply, 414, errorBody('URI_TOO_LONG', 'A path segment is longer than the API accepts (512 characters)'));
      } else {
        send(reply, 400, errorBody('BAD_REQUEST', 'The request path is not a valid URL path'));
      }
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
    if (isAuthorized(request.headers.authorization)) return;
    return reply
      .code(401)
      .header('www-authenticate', WWW_AUTHENTICATE)
      .send(errorBody('UNAUTHORIZED', 'Send Authorization: Bearer <API_TOKEN>'));
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
  void app.register(integrationRoutes, { deps });
  void app.register(lifecycleRoutes, { deps });
  void app.register(usageRoutes, { deps });
  void app.register(consoleReadRoutes, { deps });
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());

  return app;
}
