import { Injectable, Logger } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthUser } from '@/common/auth/auth-user';
import { SessionsService } from '@/modules/auth/sessions.service';
import { MessageViewsService } from '@/modules/messages/message-views.service';
import { MESSAGE_PREFIX, NotificationHubService } from './notification-hub.service';
import { NotificationsService } from './notifications.service';

const HEARTBEAT_MS = 15_000;

/**
 * One SSE connection: subscribes to the user's channel, writes each new notification, pings, cleans up on close.
 * It lives only as long as its session: a revocation (logout, password change, suspension) closes it at once, and
 * the session is checked again before every event and heartbeat, in case that announcement was missed.
 *
 * A check or a render that fails (Redis or PostgreSQL away) decides nothing: the stream ends, and the client
 * reconnects through the guard, which checks the session again; the notification itself is in `GET /notifications`.
 * Neither "the session is live" nor "nothing to send" is ever read from an error.
 */
@Injectable()
export class NotificationStreamService {
  private readonly logger = new Logger(NotificationStreamService.name);

  constructor(
    private readonly hub: NotificationHubService,
    private readonly notifications: NotificationsService,
    private readonly sessions: SessionsService,
    private readonly messages: MessageViewsService,
  ) {}

  async open(actor: AuthUser, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    reply.hijack();
    const raw = reply.raw;
    raw.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
      'x-request-id': String(request.id),
    });
    const close = () => {
      if (!raw.writableEnded) raw.end();
    };
    const failed = (what: string, error: unknown) => {
      this.logger.warn(`notification stream closed: ${what} failed (${(error as Error).message})`);
      close();
    };
    const live = async () => {
      if (raw.writableEnded) return false;
      try {
        if (await this.sessions.isLive(actor)) return true;
        close();
      } catch (error) {
        failed('the session check', error);
      }
      return false;
    };
    const send = async (id: string) => {
      if (!(await live())) return;
      try {
        const [notification] = await this.notifications.renderByIds(actor, [id]);
        if (notification && !raw.writableEnded) raw.write(`id: ${notification.id}\nevent: notification\ndata: ${JSON.stringify(notification)}\n\n`);
      } catch (error) {
        failed('rendering a notification', error);
      }
    };
    // Revocations are heard on the auth module's revocation feed (one channel, subscribed once per process).
    const stopRevocation = this.sessions.onRevoked(actor.sessionId, close);
    // A direct message is rendered for this viewer here, by the messages module (locked stays locked), never carried.
    const sendMessage = async (id: string) => {
      if (!(await live())) return;
      try {
        const [message] = await this.messages.byIds(actor, [id]);
        if (message && !raw.writableEnded) raw.write(`id: ${message.id}\nevent: message\ndata: ${JSON.stringify(message)}\n\n`);
      } catch (error) {
        failed('rendering a message', error);
      }
    };
    const stop = await this.hub.listen(actor.id, (item) => void (item.startsWith(MESSAGE_PREFIX) ? sendMessage(item.slice(MESSAGE_PREFIX.length)) : send(item)));
    // Only once subscribed: a client may act on the first bytes, and what happens next must reach it.
    raw.write(': connected\n\n');
    const heartbeat = setInterval(() => {
      void live().then((ok) => ok && raw.write(': ping\n\n'));
    }, HEARTBEAT_MS);
    heartbeat.unref();
    let cleaned = false;
    const cleanUp = () => {
      if (cleaned) return;
      cleaned = true;
      clearInterval(heartbeat);
      stopRevocation();
      void stop();
    };
    request.raw.on('close', cleanUp);
    // Closed by us (revoked): the request's socket may stay open (keep-alive), so clean up on our own end too.
    raw.on('close', cleanUp);
    raw.on('finish', cleanUp);
    // A session revoked between the guard and the subscription: no announcement would come.
    await live();
  }
}
