// The operator read API under /admin/v1/ (admin bearer token; without a configured token it does not
// exist: 404): the fleet here, reconciliation in admin-reconciliation.ts.
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { fleetView } from '../fleet.ts';
import { jsonAnswer } from '../http-util.ts';
import type { RelayContext } from '../relay-context.ts';
import { reconciliationRoutes } from './admin-reconciliation.ts';
import { sendAnswer } from './answer.ts';

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

export function adminRoutes(app: FastifyInstance, { ctx }: { ctx: RelayContext }): Promise<void> {
  const adminToken = ctx.opts.adminToken;
  if (adminToken === undefined) return Promise.resolve();
  const expected = sha256(adminToken);
  app.addHook('onRequest', (request, reply, done) => {
    const m = /^Bearer[ ]+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
    if (m?.[1] !== undefined && timingSafeEqual(sha256(m[1]), expected)) return done();
    void reply.header('www-authenticate', 'Bearer');
    void sendAnswer(
      reply,
      jsonAnswer(401, { error: 'unauthorized', message: 'admin bearer token required' }),
    );
  });
  const sources = {
    configured: ctx.opts.kiosks.map((k) => k.id),
    isConnected: (id: string) => ctx.hub.isConnected(id),
  };
  app.get('/admin/v1/kiosks', async (_request, reply) =>
    sendAnswer(reply, jsonAnswer(200, { kiosks: await fleetView(ctx.store, sources) })),
  );
  app.get<{ Params: { kioskId: string } }>('/admin/v1/kiosks/:kioskId', async (request, reply) => {
    const [kiosk] = await fleetView(ctx.store, sources, request.params.kioskId);
    return sendAnswer(reply, kiosk ? jsonAnswer(200, kiosk) : jsonAnswer(404, { error: 'not_found' }));
  });
  reconciliationRoutes(app, ctx);
  return Promise.resolve();
}
