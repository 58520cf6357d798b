// The relay as a fastify application: the HTTP hardening (timeouts, connection cap, client errors, refused
// bodies never drained), the websocket upgrade path, the routes as plugins, and the shutdown order as hooks
// (preClose: streams get 1001 and parked long-polls their answer; onClose: the store closes last).
import { createServer } from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { fastify, LogController } from 'fastify';
import type { FastifyBaseLogger, FastifyError, FastifyInstance } from 'fastify';
import { answerClientError } from './client-error.ts';
import { bodyLeftUnread, jsonAnswer, textAnswer } from './http-util.ts';
import type { RelayOptions } from './index.ts';
import { lingerWhenClosed } from './linger-close.ts';
import { createRelayLogger } from './logging.ts';
import { createRelayContext } from './relay-context.ts';
import type { RelayContext } from './relay-context.ts';
import { sendAnswer } from './routes/answer.ts';
import { adminRoutes } from './routes/admin.ts';
import { consoleRoutes } from './routes/console.ts';
import { kioskRoutes } from './routes/kiosk.ts';
import { notifyRoutes } from './routes/notify.ts';
import { opsRoutes } from './routes/ops.ts';

export async function buildRelayApp(
  opts: RelayOptions,
): Promise<{ app: FastifyInstance; ctx: RelayContext }> {
  const logger = createRelayLogger(opts.log ?? (() => {}));
  const limits = opts.limits ?? {};
  const headersTimeout = limits.headersTimeoutMs ?? 10_000;
  const requestTimeout = limits.requestTimeoutMs ?? 30_000;
  const app = fastify({
    loggerInstance: logger as FastifyBaseLogger,
    // Per-request lines would be most of the log; the handlers log what matters (outcomes, refusals).
    logController: new LogController({ disableRequestLogging: true }),
    // No child logger per request (a redacting pino child costs more than its notify's RSA check): the
    // relay logs through ctx.log, and no line carries a request id.
    childLoggerFactory: (logger) => logger,
    clientErrorHandler: answerClientError,
    requestTimeout,
    keepAliveTimeout: limits.keepAliveTimeoutMs ?? 5_000,
    // Shutdown is ours (hooks below): a notify arriving then is answered `fail` 503, not fastify's JSON.
    return503OnClosing: false,
    serverFactory: (handler) =>
      // Timeouts are enforced by a periodic sweep: sweep often enough that neither is overstayed by much.
      createServer({ connectionsCheckingInterval: checkEvery(headersTimeout, requestTimeout) }, handler),
  });
  // With a serverFactory fastify leaves the server's timeouts alone: set them on the server itself.
  app.server.headersTimeout = headersTimeout;
  app.server.requestTimeout = requestTimeout;
  app.server.keepAliveTimeout = limits.keepAliveTimeoutMs ?? 5_000;
  // Beyond the cap Node closes a new socket at once, before it costs anything but the accept.
  app.server.maxConnections = limits.maxConnections ?? 10_000;

  const ctx = await createRelayContext(opts, logger);
  guardSockets(app, ctx);
  neverDrainRefusedBodies(app, ctx);
  closeInOrder(app, ctx, opts.shutdownGraceMs ?? 5_000);

  await app.register(notifyRoutes, { ctx });
  await app.register(kioskRoutes, { ctx });
  await app.register(opsRoutes, { ctx });
  await app.register(adminRoutes, { ctx });
  await app.register(consoleRoutes, { ctx });
  app.setNotFoundHandler((_request, reply) => sendAnswer(reply, jsonAnswer(404, { error: 'not_found' })));
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const status =
      err.statusCode !== undefined && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 500;
    if (status === 500) ctx.log.error({ path: request.url, error: err.message }, 'request failed');
    return sendAnswer(reply, textAnswer(status, status === 500 ? 'internal error\n' : `${err.message}\n`));
  });
  return { app, ctx };
}

function checkEvery(headersTimeoutMs: number, requestTimeoutMs: number): number {
  return Math.max(50, Math.min(1000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4)));
}

/** Counts sockets for the gauge, and takes websocket upgrades (authenticated by the hub) safely. */
function guardSockets(app: FastifyInstance, ctx: RelayContext): void {
  app.server.on('connection', (socket: Socket) => {
    ctx.openSockets++;
    socket.once('close', () => ctx.openSockets--);
  });
  app.server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    // The upgrade socket leaves the HTTP server's care: it needs its own error handler, and nothing a
    // request can contain may throw out of this event (it would end the process).
    socket.on('error', () => socket.destroy());
    ctx.hub.handleUpgrade(req, socket, head).catch((err: unknown) => {
      ctx.log.error({ error: err instanceof Error ? err.message : String(err) }, 'upgrade failed');
      socket.destroy();
    });
  });
}

/**
 * Every request body is read by its handler, bounded (readBody), or not at all: fastify parses none. An
 * answer sent before the body was read to its end closes the connection, so a refused body (415, 413,
 * 429, 404…) is never drained by Node to reach a next request; the close lingers briefly (linger-close.ts) so
 * the client can read the answer.
 */
function neverDrainRefusedBodies(app: FastifyInstance, ctx: RelayContext): void {
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', (_request, _payload, done) => done(null, undefined));
  app.addHook('onSend', (request, reply, payload, done) => {
    if (bodyLeftUnread(request.raw)) {
      void reply.header('connection', 'close');
      lingerWhenClosed(request.raw.socket);
    } else if (ctx.hub.closing) void reply.header('connection', 'close');
    done(null, payload);
  });
}

/**
 * close(): streams get 1001 and parked long-polls their answer (preClose), in-flight requests finish
 * within the grace period (fastify closes the server), then the store closes (onClose).
 */
function closeInOrder(app: FastifyInstance, ctx: RelayContext, graceMs: number): void {
  let grace: NodeJS.Timeout | undefined;
  app.addHook('preClose', (done) => {
    ctx.stopTimers();
    ctx.hub.close();
    grace = setTimeout(() => {
      app.server.closeAllConnections();
      ctx.hub.terminateAll();
    }, graceMs);
    done();
  });
  app.addHook('onClose', async () => {
    clearTimeout(grace);
    ctx.hub.terminateAll();
    await ctx.store.close();
    ctx.log.info('relay closed');
  });
}
