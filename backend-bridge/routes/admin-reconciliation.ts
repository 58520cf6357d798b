// The operator API of reconciliation under /admin/v1/reconciliation (registered by adminRoutes, behind its
// token): the days and their differences and actions (read straight from the relay store, either backend, so days reconciled by
// `notify-relay reconcile` show even on a relay without Alipay credentials), running a day now, and the
// compensating refund of one trade. Shapes: docs/relay.md "Reconciliation".
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { jsonAnswer } from '../http-util.ts';
import { readJsonBody } from '../json-body.ts';
import { dayWindow } from '../reconcile/day.ts';
import type { RelayContext } from '../relay-context.ts';
import { sendAnswer } from './answer.ts';

const MAX_BODY_BYTES = 4096;
const RefundBody = z.object({ outTradeNo: z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/) }).strict();

type DayParams = { Params: { date: string } };

function validDay(day: string): boolean {
  try {
    dayWindow(day);
    return true;
  } catch {
    return false;
  }
}

const BAD_DATE = jsonAnswer(400, { error: 'bad_request', message: 'date must be a real day, yyyy-MM-dd' });
const NOT_CONFIGURED = jsonAnswer(503, {
  error: 'reconciliation_not_configured',
  message: 'the relay has no Alipay gateway and app private key for reconciliation (docs/relay.md)',
});

export function reconciliationRoutes(app: FastifyInstance, ctx: RelayContext): void {
  const store = ctx.reconciliation?.store ?? ctx.store.reconciliation.results;

  app.get('/admin/v1/reconciliation', async (_request, reply) =>
    sendAnswer(reply, jsonAnswer(200, { days: await store.listDays() })),
  );

  app.get<DayParams>('/admin/v1/reconciliation/:date', async (request, reply) => {
    if (!validDay(request.params.date)) return sendAnswer(reply, BAD_DATE);
    const day = await store.getDay(request.params.date);
    return sendAnswer(reply, day ? jsonAnswer(200, day) : jsonAnswer(404, { error: 'not_found' }));
  });

  app.post<DayParams>('/admin/v1/reconciliation/:date/run', async (request, reply) => {
    if (!validDay(request.params.date)) return sendAnswer(reply, BAD_DATE);
    if (!ctx.reconciliation) return sendAnswer(reply, NOT_CONFIGURED);
    const day = await ctx.reconciliation.service.run(request.params.date, {
      trigger: 'operator',
      actor: 'admin-api',
    });
    return sendAnswer(reply, jsonAnswer(200, day));
  });

  app.post<DayParams>('/admin/v1/reconciliation/:date/refund', async (request, reply) => {
    if (!validDay(request.params.date)) return sendAnswer(reply, BAD_DATE);
    const body = await readJsonBody(
      request.raw,
      MAX_BODY_BYTES,
      RefundBody,
      '{"outTradeNo": "<1-64 of A-Za-z0-9_.->"}',
    );
    if (!body.ok) return sendAnswer(reply, body.answer);
    const target = body.value;
    if (!ctx.reconciliation) return sendAnswer(reply, NOT_CONFIGURED);
    const answer = await ctx.reconciliation.service.refund(request.params.date, target.outTradeNo, {
      trigger: 'operator',
      actor: 'admin-api',
    });
    if (answer.kind === 'day_not_found') return sendAnswer(reply, jsonAnswer(404, { error: 'not_found' }));
    if (answer.kind === 'not_refundable')
      return sendAnswer(reply, jsonAnswer(409, { error: 'not_refundable', message: answer.why }));
    return sendAnswer(reply, jsonAnswer(200, { action: answer.action }));
  });
}
