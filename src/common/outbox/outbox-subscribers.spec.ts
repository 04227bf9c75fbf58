import 'reflect-metadata';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { InstanceWrapper } from '@nestjs/core/injector/instance-wrapper';
import { AppConfig } from '../config/app-config';
import { QueueName } from '../queue/queue-names';
import { DOMAIN_EVENT_TYPES, DomainEvent } from './domain-events';
import { EventContext, OnDomainEvent } from './on-domain-event.decorator';
import { OutboxSubscribers } from './outbox-subscribers';

class Follows {
  @OnDomainEvent('user.followed', { subscriber: 'follows' })
  async onFollowed(_event: DomainEvent<'user.followed'>, _context: EventContext): Promise<void> {}
}

class Media {
  @OnDomainEvent('media.uploaded', { subscriber: 'media.process', queue: QueueName.Media })
  async onUploaded(_event: DomainEvent<'media.uploaded'>, _context: EventContext): Promise<void> {}
}

/** Subscribes to every other type, so that a test can leave exactly the types it means out. */
class Everything {
  @OnDomainEvent(
    DOMAIN_EVENT_TYPES.filter((type) => type !== 'user.followed' && type !== 'media.uploaded'),
    { subscriber: 'everything' },
  )
  async on(_event: DomainEvent, _context: EventContext): Promise<void> {}
}

function registry(providers: object[], role: AppConfig['role'] = 'all'): OutboxSubscribers {
  const wrappers = providers.map((instance) => Object.assign(new InstanceWrapper({ instance, isResolved: true }), { instance }));
  const discovery = { getProviders: () => wrappers } as unknown as DiscoveryService;
  return new OutboxSubscribers(discovery, new MetadataScanner(), Object.assign(new AppConfig(), { role }));
}

describe(OutboxSubscribers.name, () => {
  it('finds decorated methods, with their names and queues', () => {
    const sut = registry([new Follows(), new Media(), new Everything()]);
    sut.serve(QueueName.Events);
    sut.serve(QueueName.Media);
    sut.onModuleInit();
    expect(sut.subscribersOf('media.uploaded').map(({ name, queue }) => ({ name, queue }))).toEqual([{ name: 'media.process', queue: QueueName.Media }]);
    expect(sut.get('user.followed', 'follows')?.queue).toBe(QueueName.Events);
    expect(sut.get('user.followed', 'nobody')).toBeUndefined();
  });

  it('refuses to start a worker when an event type has no subscriber', () => {
    const sut = registry([new Follows(), new Everything()]);
    sut.serve(QueueName.Events);
    expect(() => sut.onModuleInit()).toThrow('no subscriber for event(s): media.uploaded');
  });

  it("refuses to start a worker when a subscriber's queue has no processor", () => {
    const sut = registry([new Follows(), new Media(), new Everything()]);
    sut.serve(QueueName.Events);
    expect(() => sut.onModuleInit()).toThrow('no processor serves the event queue(s): media');
  });

  it('lets an API process start without subscribers: it only records events', () => {
    expect(() => registry([], 'api').onModuleInit()).not.toThrow();
  });

  it('refuses two subscribers of one type under one name', () => {
    class Again {
      @OnDomainEvent('user.followed', { subscriber: 'follows' })
      async onFollowed(_event: DomainEvent<'user.followed'>, _context: EventContext): Promise<void> {}
    }
    expect(() => registry([new Follows(), new Again()]).onModuleInit()).toThrow('two subscribers named "follows" for user.followed');
  });

});
