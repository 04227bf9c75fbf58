import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthUser } from '@/common/auth/auth-user';
import { NotificationHubService } from './notification-hub.service';
import { NotificationsService } from './notifications.service';

const HEARTBEAT_MS = 15_000;

/** One SSE connection: subscribes to the user's channel, writes each new notification, pings, cleans up on close. */
@Injectable()
export class NotificationStreamService {
  constructor(
    private readonly hub: NotificationHubService,
    private readonly notifications: NotificationsService,
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
    const send = async (id: string) => {
      const [notification] = await this.notifications.renderByIds(actor, [id]).catch(() => []);
      if (notification && !raw.writableEnded) raw.write(`id: ${notification.id}\nevent: notification\ndata: ${JSON.stringify(notification)}\n\n`);
    };
    const stop = await this.hub.listen(actor.id, (id) => void send(id));
    // Only once subscribed: a client may act on the first bytes, and what happens next must reach it.
    raw.write(': connected\n\n');
    const heartbeat = setInterval(() => raw.write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    request.raw.on('close', () => {
      clearInterval(heartbeat);
      void stop();
    });
  }
}
