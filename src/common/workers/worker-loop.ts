import { BeforeApplicationShutdown, OnApplicationBootstrap } from '@nestjs/common';

/**
 * A loop that runs where workers run (`APP_ROLE` worker or both): one `tick` at a time, each scheduling the next with
 * `schedule(delay)`. It stops before, not on, application shutdown, after the tick under way: MikroORM closes its pool
 * on shutdown, and a tick started after that would wait 60 s for a connection. The timer does not keep a process
 * alive by itself (the workers' connections do).
 */
export abstract class WorkerLoop implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private running = false;
  private timer?: NodeJS.Timeout;
  private current: Promise<unknown> = Promise.resolve();

  /** Whether this process runs the loop (the app config's `runsWorkers`). */
  protected abstract runsHere(): boolean;

  /** One round; it ends by calling `schedule` with the delay until the next. */
  protected abstract tick(): Promise<void>;

  onApplicationBootstrap(): void {
    if (!this.runsHere()) return;
    this.running = true;
    this.schedule(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.running = false;
    clearTimeout(this.timer);
    await this.current.catch(() => undefined);
  }

  protected schedule(delay: number): void {
    if (!this.running) return;
    this.timer = setTimeout(() => {
      this.current = this.tick();
    }, delay);
    this.timer.unref();
  }
}
