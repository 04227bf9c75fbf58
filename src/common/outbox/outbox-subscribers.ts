import { Injectable, OnModuleInit } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { AppConfig } from '../config/app-config';
import { QueueName } from '../queue/queue-names';
import { DOMAIN_EVENT_TYPES, DomainEventType } from './domain-events';
import { DOMAIN_EVENT_SUBSCRIBER, EventHandler, SubscriberMetadata } from './on-domain-event.decorator';

export interface Subscriber {
  name: string;
  queue: QueueName;
  handle: EventHandler<DomainEventType>;
}

const NAME = /^[a-z0-9._-]{1,100}$/;

/**
 * Which provider methods handle which events (`@OnDomainEvent`), found at start-up. A worker refuses to start when an
 * event type has no subscriber (it would be recorded and never handled) or a subscriber's queue has no processor.
 */
@Injectable()
export class OutboxSubscribers implements OnModuleInit {
  private readonly byType = new Map<DomainEventType, Subscriber[]>();
  private readonly served = new Set<QueueName>();

  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly config: AppConfig,
  ) {}

  /** Every provider exists by now (processors have called `serve`), and nothing has started yet: check before the relay runs. */
  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const instance = wrapper.instance as Record<string, unknown> | undefined;
      if (!instance || typeof instance !== 'object' || !wrapper.isDependencyTreeStatic()) continue;
      const prototype = Object.getPrototypeOf(instance) as Record<string, unknown>;
      for (const method of this.scanner.getAllMethodNames(prototype)) {
        const metadata = Reflect.getMetadata(DOMAIN_EVENT_SUBSCRIBER, prototype[method] as object) as SubscriberMetadata | undefined;
        if (metadata) this.add(metadata, (prototype[method] as EventHandler<DomainEventType>).bind(instance));
      }
    }
    if (!this.config.runsWorkers) return;
    const problems = this.problems();
    if (problems.length) throw new Error(problems.join('; '));
  }

  /** A queue's processor declares that it hands outbox events to the dispatcher. */
  serve(queue: QueueName): void {
    this.served.add(queue);
  }

  subscribersOf(type: DomainEventType): Subscriber[] {
    return this.byType.get(type) ?? [];
  }

  get(type: DomainEventType, name: string): Subscriber | undefined {
    return this.subscribersOf(type).find((s) => s.name === name);
  }

  /** Problems that keep a worker from starting: event types nobody handles, queues no processor serves. */
  problems(): string[] {
    const unhandled = DOMAIN_EVENT_TYPES.filter((type) => !this.subscribersOf(type).length);
    const queues = new Set([...this.byType.values()].flat().map((s) => s.queue));
    const unserved = [...queues].filter((queue) => !this.served.has(queue));
    return [
      ...(unhandled.length ? [`no subscriber for event(s): ${unhandled.join(', ')}`] : []),
      ...(unserved.length ? [`no processor serves the event queue(s): ${unserved.join(', ')}`] : []),
    ];
  }

  private add(metadata: SubscriberMetadata, handle: EventHandler<DomainEventType>): void {
    if (!NAME.test(metadata.subscriber)) throw new Error(`subscriber name "${metadata.subscriber}" must match ${NAME}`);
    for (const type of metadata.types) {
      const list = this.byType.get(type) ?? [];
      if (list.some((s) => s.name === metadata.subscriber)) throw new Error(`two subscribers named "${metadata.subscriber}" for ${type}`);
      this.byType.set(type, [...list, { name: metadata.subscriber, queue: metadata.queue, handle }]);
    }
  }
}
