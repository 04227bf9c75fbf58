import { Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { RedisClient } from '@/common/redis/redis.factory';
import { RedisService } from '@/common/redis/redis.service';

/** What a channel carries: a notification's id, or a direct message's id after `MESSAGE_PREFIX`. */
type Listener = (item: string) => void;

/** A direct message on the stream (`message` events): the channel carries `message:<id>`, never its content. */
export const MESSAGE_PREFIX = 'message:';

/**
 * Delivery of new notifications to SSE clients across API processes: workers publish the id on the recipient's
 * Redis channel; each API process subscribes to the channels of the users connected to it, and only while they are.
 */
@Injectable()
export class NotificationHubService implements OnApplicationShutdown {
  private readonly logger = new Logger(NotificationHubService.name);
  private subscriber?: RedisClient;
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(private readonly redis: RedisService) {}

  private channel(userId: string): string {
    return this.redis.key('notify', userId);
  }

  /** Called by workers after notifications are committed. */
  async publish(recipients: { id: string; user_id: string }[]): Promise<void> {
    if (!recipients.length) return;
    const pipeline = this.redis.client.pipeline();
    for (const r of recipients) pipeline.publish(this.channel(r.user_id), r.id);
    // A missed live push is not a lost notification: it is stored, and the list shows it.
    await pipeline.exec().catch((error: Error) => this.logger.warn(`live push skipped: ${error.message}`));
  }

  /** Called by workers after a direct message is committed: its recipient's open streams render it for them. */
  async publishMessage(recipientId: string, messageId: string): Promise<void> {
    // A missed live push is not a lost message: it is stored, and the conversation shows it.
    await this.redis.client.publish(this.channel(recipientId), `${MESSAGE_PREFIX}${messageId}`).catch((error: Error) => this.logger.warn(`live push skipped: ${error.message}`));
  }

  private connection(): RedisClient {
    if (!this.subscriber) {
      this.subscriber = this.redis.createConnection('notifications-subscriber');
      this.subscriber.on('message', (channel: string, id: string) => {
        const userId = channel.slice(channel.lastIndexOf(':') + 1);
        for (const listener of this.listeners.get(userId) ?? []) listener(id);
      });
    }
    return this.subscriber;
  }

  async listen(userId: string, listener: Listener): Promise<() => Promise<void>> {
    let set = this.listeners.get(userId);
    if (!set) {
      set = new Set();
      this.listeners.set(userId, set);
      await this.connection().subscribe(this.channel(userId));
    }
    set.add(listener);
    return async () => {
      set.delete(listener);
      if (!set.size && this.listeners.get(userId) === set) {
        this.listeners.delete(userId);
        await this.connection().unsubscribe(this.channel(userId)).catch(() => undefined);
      }
    };
  }

  async onApplicationShutdown(): Promise<void> {
    this.listeners.clear();
  }
}
