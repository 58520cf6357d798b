// Operations endpoints (keep them internal at the proxy): liveness, readiness with a real write, metrics.
import type { FastifyInstance } from 'fastify';
import { textAnswer } from '../http-util.ts';
import type { RelayContext } from '../relay-context.ts';
import { sendAnswer } from './answer.ts';

export function opsRoutes(app: FastifyInstance, { ctx }: { ctx: RelayContext }): Promise<void> {
  app.get('/healthz', (_request, reply) => sendAnswer(reply, textAnswer(200, 'ok\n')));
  app.get('/readyz', async (_request, reply) => {
    if (ctx.hub.closing) return sendAnswer(reply, textAnswer(503, 'shutting down\n'));
    try {
      await ctx.store.probeWritable(ctx.now().toISOString());
      return sendAnswer(reply, textAnswer(200, 'ready\n'));
    } catch (err) {
      ctx.log.error({ error: err instanceof Error ? err.message : String(err) }, 'readiness probe failed');
      return sendAnswer(reply, textAnswer(503, 'database not writable\n'));
    }
  });
  app.get('/metrics', async (_request, reply) =>
    sendAnswer(reply, {
      status: 200,
      contentType: 'text/plain; version=0.0.4; charset=utf-8',
      body: await ctx.metrics.render(),
    }),
  );
  return Promise.resolve();
}
