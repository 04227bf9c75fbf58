import type { QueueBase } from 'bullmq';

/**
 * BullMQ's connection objects, one per queue and two per worker. Not in its typings (protected), but stable
 * across 5.x.
 */
interface WithConnections {
  connection?: NodeJS.EventEmitter;
  blockingConnection?: NodeJS.EventEmitter;
}

const guarded = new WeakSet<NodeJS.EventEmitter>();

/**
 * A connection closed while it was still connecting (Redis down at shutdown) rejects its pending start-up with the
 * connect error after `close()` has removed every listener (`removeAllListeners()`); BullMQ re-emits that rejection as
 * an `error` event with nobody listening, and the process gets an unhandled rejection (`connect ECONNREFUSED`). It
 * arrives whenever the refused connect attempt is read, which on a loaded machine can be long after `close()`
 * returned: @nestjs/bullmq closes the queues in its own module's shutdown, well before ours (CI saw seven, one per
 * queue). A listener added afterwards is always at risk of coming too late, so each connection is guarded from the
 * start: once nobody listens for `error` any more (closed), the error is dropped. Until then the connection's own
 * forwarding listener takes every error to the queue or worker, whose listeners log it (`WorkerErrorsListener`).
 */
export function guardLateErrors(target: QueueBase): void {
  const { connection, blockingConnection } = target as unknown as WithConnections;
  for (const emitter of [connection, blockingConnection]) {
    if (!emitter || guarded.has(emitter)) continue;
    guarded.add(emitter);
    const emit = emitter.emit.bind(emitter);
    emitter.emit = (event: string | symbol, ...args: unknown[]) =>
      event === 'error' && emitter.listenerCount('error') === 0 ? false : emit(event, ...args);
  }
}
