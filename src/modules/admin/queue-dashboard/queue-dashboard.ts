import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { QueueService } from '@/common/queue/queue.service';
import { QueueDashboardAuth } from './queue-dashboard.auth';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';

/**
 * Bull Board for every queue, at the root (outside `/api/v1`), in its own Fastify scope whose `onRequest` hook
 * authenticates before any page, asset or board API route answers.
 */
export function mountQueueDashboard(app: NestFastifyApplication): void {
  const auth = app.get(QueueDashboardAuth);
  const fastify = app.getHttpAdapter().getInstance();
  const board = new BullBoardFastifyAdapter();
  const { replaceQueues } = createBullBoard({ queues: [], serverAdapter: board, options: { uiConfig: { boardTitle: 'x18 queues' } } });
  board.setBasePath(QUEUE_DASHBOARD_PATH);
  // QueueService knows its queues once the app is initialised, which is before the server is ready to answer.
  fastify.addHook('onReady', async () => {
    replaceQueues(app.get(QueueService).all().map((queue) => new BullMQAdapter(queue)));
  });
  void fastify.register(
    async (scope) => {
      scope.addHook('onRequest', (request, reply) => auth.onRequest(request, reply));
      await scope.register(board.registerPlugin());
    },
    { prefix: QUEUE_DASHBOARD_PATH },
  );
}
