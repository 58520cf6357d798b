// POST /alipay/notify as a fastify plugin. The decision itself lives in ../notify.ts, independent of HTTP.
import type { FastifyInstance } from 'fastify';
import { textAnswer } from '../http-util.ts';
import { handleNotify } from '../notify.ts';
import type { RelayContext } from '../relay-context.ts';
import { sendAnswer } from './answer.ts';

export function notifyRoutes(app: FastifyInstance, { ctx }: { ctx: RelayContext }): Promise<void> {
  app.all('/alipay/notify', async (request, reply) => {
    if (request.method !== 'POST') return sendAnswer(reply, textAnswer(405, 'fail'));
    // Not durable while shutting down, so not `success`: Alipay resends later.
    if (ctx.hub.closing) return sendAnswer(reply, textAnswer(503, 'fail'));
    return sendAnswer(reply, await handleNotify(request.raw, ctx.notify));
  });
  return Promise.resolve();
}
