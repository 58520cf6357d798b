// The operator read API under /admin/v1/: the admin bearer token or a console session (console/access.ts);
// with neither configured it does not exist (404). Routes added under /admin/v1/ inside this plugin, or
// behind `requireOperator`, get the same check: the fleet here, reconciliation in admin-reconciliation.ts.
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { fleetView, kioskDetail, type FleetSources } from '../fleet.ts';
import { jsonAnswer } from '../http-util.ts';
import type { RelayContext } from '../relay-context.ts';
import { isValidKioskId } from '../routing.ts';
import { reconciliationRoutes } from './admin-reconciliation.ts';
import { sendAnswer } from './answer.ts';

/** An onRequest hook admitting the admin token or a console session, answering 401 to anything else. */
export function requireOperator(ctx: RelayContext) {
  return (request: FastifyRequest, reply: FastifyReply, done: () => void): void => {
    if (ctx.access.admits(request.raw)) return done();
    void reply.header('www-authenticate', 'Bearer');
    void sendAnswer(
      reply,
      jsonAnswer(401, { error: 'unauthorized', message: 'admin bearer token or console login required' }),
    );
  };
}

export function adminRoutes(app: FastifyInstance, { ctx }: { ctx: RelayContext }): Promise<void> {
  if (!ctx.access.enabled) return Promise.resolve();
  app.addHook('onRequest', requireOperator(ctx));
  // Connected: a stream held here, or by another live instance of the fleet (PostgreSQL).
  const sources = async (): Promise<FleetSources> => {
    const elsewhere = await ctx.store.liveStreams();
    return {
      queries: ctx.store.fleet,
      configured: ctx.opts.kiosks.map((k) => k.id),
      isConnected: (id: string) => ctx.hub.isConnected(id) || elsewhere.has(id),
      now: ctx.now,
      calendar: ctx.calendar,
    };
  };
  app.get('/admin/v1/kiosks', async (_request, reply) =>
    sendAnswer(
      reply,
      jsonAnswer(200, { timeZone: ctx.calendar.timeZone, kiosks: await fleetView(await sources()) }),
    ),
  );
  app.get<{ Params: { kioskId: string } }>('/admin/v1/kiosks/:kioskId', async (request, reply) => {
    const id = request.params.kioskId;
    const kiosk = isValidKioskId(id) ? await kioskDetail(await sources(), id) : undefined;
    return sendAnswer(reply, kiosk ? jsonAnswer(200, kiosk) : jsonAnswer(404, { error: 'not_found' }));
  });
  reconciliationRoutes(app, ctx);
  return Promise.resolve();
}
