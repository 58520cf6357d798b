import type { FastifyReply } from 'fastify';
import type { Answer } from '../http-util.ts';

/** Writes a handler's answer; nothing the relay answers may be cached by a proxy. */
export function sendAnswer(reply: FastifyReply, answer: Answer): FastifyReply {
  return reply
    .code(answer.status)
    .header('content-type', answer.contentType)
    .header('cache-control', 'no-store')
    .send(answer.body);
}
