// The operator console under /console/: a login page (the admin password, throttled by LoginGuard), then a
// session cookie, then the built single page and its files. Nothing but the login page and its stylesheet
// is served without a session; the console's data comes from /admin/v1/, which takes the same session.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleSettings } from '../console/access.ts';
import { CONSOLE_FILES, CONSOLE_HEADERS, loginPage } from '../console/pages.ts';
import { verifyAdminPassword } from '../console/password-hash.ts';
import { clearedSessionCookie, sessionCookie, sessionToken } from '../console/sessions.ts';
import { BodyTooLargeError, mediaType, readBody } from '../http-util.ts';
import type { RelayContext } from '../relay-context.ts';

const MAX_LOGIN_BODY = 4096;

export function consoleRoutes(app: FastifyInstance, { ctx }: { ctx: RelayContext }): Promise<void> {
  const settings = ctx.access.console;
  if (settings === undefined) return Promise.resolve();
  app.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(CONSOLE_HEADERS);
    done();
  });

  const html = (reply: FastifyReply, status: number, body: string): FastifyReply =>
    reply.code(status).type('text/html; charset=utf-8').send(body);
  const toLogin = (reply: FastifyReply): FastifyReply =>
    reply.code(303).header('location', '/console/login').send();

  app.get('/console', (_request, reply) => reply.code(308).header('location', '/console/').send());
  app.get('/console/login', (request, reply) =>
    ctx.access.hasSession(request.raw)
      ? reply.code(303).header('location', '/console/').send()
      : html(reply, 200, loginPage()),
  );
  app.get('/console/login.css', (_request, reply) =>
    sendFile(reply, settings, 'login.css', 'text/css; charset=utf-8'),
  );
  app.post('/console/login', (request, reply) => login(request, reply, ctx, settings));
  app.post('/console/logout', (request, reply) => {
    if (!ctx.access.hasSession(request.raw)) return toLogin(reply);
    if (!ctx.access.sameOrigin(request.raw))
      return reply.code(403).type('text/plain').send('cross-origin logout refused\n');
    ctx.access.sessions.destroy(sessionToken(request.headers.cookie));
    return toLogin(reply.header('set-cookie', clearedSessionCookie(ctx.access.overTls(request.raw))));
  });
  // Everything else under /console/ needs a session: without one, whatever the method, the login page.
  app.all<{ Params: { '*': string } }>('/console/*', (request, reply) => {
    if (!ctx.access.hasSession(request.raw)) return toLogin(reply);
    if (request.method !== 'GET' && request.method !== 'HEAD')
      return reply.code(405).type('text/plain').send('method not allowed\n');
    const name = request.params['*'] === '' ? 'index.html' : request.params['*'];
    const type = Object.hasOwn(CONSOLE_FILES, name) ? CONSOLE_FILES[name] : undefined;
    if (type === undefined) return reply.code(404).type('text/plain').send('not found\n');
    return sendFile(reply, settings, name, type);
  });
  return Promise.resolve();
}

async function login(
  request: FastifyRequest,
  reply: FastifyReply,
  ctx: RelayContext,
  settings: ConsoleSettings,
): Promise<FastifyReply> {
  const page = (status: number, message: string): FastifyReply =>
    reply.code(status).type('text/html; charset=utf-8').send(loginPage(message));
  const address = ctx.access.clientAddress(request.raw);
  const locked = ctx.access.guard.lockedFor(address);
  if (locked > 0) {
    const seconds = Math.ceil(locked / 1000);
    void reply.header('retry-after', String(seconds));
    return page(429, `Too many wrong passwords. Try again in ${seconds} seconds.`);
  }
  if (request.headers.origin !== undefined && !ctx.access.sameOrigin(request.raw))
    return page(403, 'Sign in from the console page itself.');
  if (mediaType(request.headers['content-type']) !== 'application/x-www-form-urlencoded')
    return page(415, 'Sign in with the form.');
  let body: string;
  try {
    body = await readBody(request.raw, MAX_LOGIN_BODY);
  } catch (err) {
    return page(err instanceof BodyTooLargeError ? 413 : 400, 'Sign in with the form.');
  }
  const password = new URLSearchParams(body).get('password') ?? '';
  // Counted before the check, so a burst of guesses in parallel meets the lockout too.
  ctx.access.guard.failed(address);
  if (await verifyAdminPassword(password, settings.passwordHash)) {
    ctx.access.guard.succeeded(address);
    ctx.log.info({ address }, 'console login');
    const token = ctx.access.sessions.create();
    return reply
      .code(303)
      .header('set-cookie', sessionCookie(token, ctx.access.overTls(request.raw)))
      .header('location', '/console/')
      .send();
  }
  ctx.log.warn({ address }, 'console login refused: wrong password');
  await sleep(settings.loginDelayMs);
  return page(401, 'Wrong password.');
}

async function sendFile(
  reply: FastifyReply,
  settings: ConsoleSettings,
  name: string,
  type: string,
): Promise<FastifyReply> {
  try {
    return reply
      .code(200)
      .type(type)
      .send(await readFile(path.join(settings.dir, name)));
  } catch {
    return reply
      .code(503)
      .type('text/plain; charset=utf-8')
      .send(`the console is not built (${name} missing): run npm run build\n`);
  }
}
