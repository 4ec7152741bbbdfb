import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SimAccount } from './account.js';
import { checkCredentials } from './credentials.js';
import {
  accessForbidden,
  failureBody,
  failureStatus,
  internalError,
  invalidIntegrationKey,
  invalidSignature,
  methodNotAllowed,
  notFound,
  tooManyRequests,
  type DuoFailure,
} from './duo-errors.js';
import type { FaultPlan } from './faults.js';
import { Query } from './handlers/context.js';
import { routes } from './handlers/routes.js';
import { readBody, sendJson, sendText } from './http-io.js';
import type { AccountRegistry } from './registry.js';
import { parseParams } from './signature.js';
import { recordRequest, type EndpointClass } from './stats.js';

export interface ApiDeps {
  registry: AccountRegistry;
  now: () => number;
  /** A timer the server cancels on close, so slow-response faults never hold the process open. */
  sleep: (ms: number) => Promise<void>;
}

const MAX_BODY_BYTES = 1024 * 1024;

const gatewayPage = (status: number, title: string): string =>
  `<!DOCTYPE html>\n<html><head><title>${status} ${title}</title></head>\n<body><center><h1>${status} ${title}</h1></center><hr><center>nginx</center></body></html>\n`;

/**
 * One Admin API request: authenticate, maybe inject a fault, check the grant and the rate budget,
 * run the endpoint, and send its answer (maybe spoiled by a body fault, maybe late).
 */
export async function handleDuoRequest(req: IncomingMessage, res: ServerResponse, deps: ApiDeps): Promise<void> {
  const url = req.url ?? '/';
  const path = url.split('?')[0] ?? url;
  const route = routes.get(path);
  const endpointClass: EndpointClass = route?.endpointClass ?? 'other';
  let body: Buffer;
  try {
    body = await readBody(req, MAX_BODY_BYTES);
  } catch {
    sendJson(res, 413, { stat: 'FAIL', code: 41301, message: 'Request entity too large' });
    return;
  }
  const nowMs = deps.now();
  const method = req.method ?? 'GET';
  const credentials = checkCredentials(
    { method, url, headers: req.headers, rawHeaders: req.rawHeaders, body },
    (integrationKey) => deps.registry.keysFor(integrationKey),
    nowMs,
  );
  const account = credentials.integrationKey === undefined ? undefined : deps.registry.get(credentials.integrationKey);
  const schemeRefused = credentials.ok && route?.signature === 'v5' && credentials.scheme !== 'v5';
  if (!credentials.ok || !account || schemeRefused) {
    // An account removed by a reset between the two look-ups reads as an unknown key.
    const failure = !credentials.ok ? credentials.failure : !account ? invalidIntegrationKey : invalidSignature;
    if (account) recordRequest(account.stats, endpointClass, path, failureStatus(failure));
    sendJson(res, failureStatus(failure), failureBody(failure));
    return;
  }
  account.stats.signatures[credentials.scheme]++;
  const plan = account.faults.plan();
  const respond = async (status: number, write: () => void): Promise<void> => {
    if (plan.slowMs > 0) {
      account.stats.faults.slow++;
      await deps.sleep(plan.slowMs);
    }
    recordRequest(account.stats, endpointClass, path, status, nowMs);
    if (!res.destroyed) write();
  };
  const fail = (failure: DuoFailure): Promise<void> =>
    respond(failureStatus(failure), () => sendJson(res, failureStatus(failure), failureBody(failure)));

  if (plan.abort === 'reset') {
    account.stats.faults.reset++;
    recordRequest(account.stats, endpointClass, path, 'reset');
    req.socket.destroy();
    return;
  }
  if (plan.abort === 'serverError') {
    account.stats.faults.serverError++;
    await sendServerError(plan, respond, res);
    return;
  }
  if (plan.abort === 'rateLimit') {
    account.stats.faults.rateLimit++;
    await fail(tooManyRequests);
    return;
  }
  if (!route) return fail(notFound);
  if (method !== 'GET') return fail(methodNotAllowed);
  if (!account.hasPermission(route.permission)) return fail(accessForbidden);
  if (route.endpointClass !== 'info' && !account.tryTakeToken(route.endpointClass, nowMs)) return fail(tooManyRequests);

  const queryStart = url.indexOf('?');
  const params = parseParams(queryStart === -1 ? '' : url.slice(queryStart + 1)) ?? [];
  const result = route.handler({ account, query: new Query(params), nowMs, plan });
  if (!result.ok) return fail(result.failure);
  for (const type of result.applied) account.stats.faults[type]++;
  await sendSuccess(account, plan, respond, res, JSON.stringify(result.body));
}

async function sendServerError(
  plan: FaultPlan,
  respond: (status: number, write: () => void) => Promise<void>,
  res: ServerResponse,
): Promise<void> {
  const status = plan.rng.weighted([500, 502, 503, 504], [0.4, 0.25, 0.25, 0.1]);
  if (status === 500) {
    await respond(500, () => sendJson(res, 500, failureBody(internalError)));
    return;
  }
  const title = status === 502 ? 'Bad Gateway' : status === 503 ? 'Service Temporarily Unavailable' : 'Gateway Time-out';
  await respond(status, () => sendText(res, status, 'text/html', gatewayPage(status, title)));
}

async function sendSuccess(
  account: SimAccount,
  plan: FaultPlan,
  respond: (status: number, write: () => void) => Promise<void>,
  res: ServerResponse,
  json: string,
): Promise<void> {
  if (plan.body === 'truncated') {
    account.stats.faults.truncated++;
    const bytes = Buffer.from(json, 'utf8');
    const cut = 1 + plan.rng.int(Math.max(1, bytes.length - 1));
    if (plan.rng.chance(0.5)) {
      // A complete HTTP response whose JSON simply stops.
      await respond(200, () => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(bytes.subarray(0, cut));
      });
    } else {
      // The connection drops mid-body: fewer bytes than Content-Length promised.
      await respond(200, () => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': bytes.length });
        res.write(bytes.subarray(0, cut), () => res.destroy());
      });
    }
    return;
  }
  if (plan.body === 'malformed') {
    account.stats.faults.malformed++;
    if (plan.rng.chance(0.5)) {
      await respond(200, () => sendText(res, 200, 'application/json', json.replace('"stat":"OK"', '"stat":OK')));
    } else {
      // A proxy or captive portal answering in Duo's place.
      await respond(200, () => sendText(res, 200, 'text/html', gatewayPage(200, 'Request blocked')));
    }
    return;
  }
  await respond(200, () => sendText(res, 200, 'application/json', json));
}
