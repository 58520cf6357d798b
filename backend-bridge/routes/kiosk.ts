// The kiosk-facing endpoints under /v1/kiosks/:id/ (bearer token of that kiosk): the long-poll, the
// telemetry outbox, and the stream's plain-HTTP answer (the websocket itself arrives as an upgrade).
import type { FastifyInstance } from 'fastify';
import { jsonAnswer } from '../http-util.ts';
import { handleLongPoll, handleOutbox } from '../kiosk-api.ts';
import type { RelayContext } from '../relay-context.ts';
import { isValidKioskId } from '../routing.ts';
import { sendAnswer } from './answer.ts';

const ACTIONS = new Set(['events', 'outbox', 'stream']);

export function kioskRoutes(app: FastifyInstance, { ctx }: { ctx: RelayContext }): Promise<void> {
  app.all<{ Params: { kioskId: string; action: string } }>(
    '/v1/kiosks/:kioskId/:action',
    async (request, reply) => {
      const { kioskId, action } = request.params;
      if (!isValidKioskId(kioskId) || !ACTIONS.has(action))
        return sendAnswer(reply, jsonAnswer(404, { error: 'not_found' }));
      if (!(await ctx.auth.check(kioskId, request.headers))) {
        reply.header('www-authenticate', 'Bearer');
        return sendAnswer(
          reply,
          jsonAnswer(401, { error: 'unauthorized', message: 'missing or wrong bearer token for this kiosk' }),
        );
      }
      const method = request.method;
      if (action === 'stream')
        return sendAnswer(reply, jsonAnswer(426, { error: 'upgrade_required', message: 'open a websocket' }));
      if (action === 'events' && method === 'GET') {
        const query = new URL(request.url, 'http://relay.invalid').searchParams;
        return sendAnswer(reply, await handleLongPoll(kioskId, query, request.raw, ctx.kioskApi));
      }
      if (action === 'outbox' && method === 'POST')
        return sendAnswer(reply, await handleOutbox(kioskId, request.raw, ctx.kioskApi));
      return sendAnswer(reply, jsonAnswer(405, { error: 'method_not_allowed' }));
    },
  );
  return Promise.resolve();
}
