import { request } from 'node:http';
import { freePort } from './free-port';
import { startWorkerProcess, WorkerProcess } from './worker-process';

export interface ServiceProcess extends WorkerProcess {
  port: number;
}

/**
 * Starts `src/main.ts` as a real separate process serving HTTP (`APP_ROLE=all` unless `env` says `api`) on a free
 * loopback port, on the run's database and Redis prefix (or what `env` says); resolves once it answers.
 */
export async function startServiceProcess(env: Record<string, string> = {}, timeoutMs = 60_000): Promise<ServiceProcess> {
  const port = await freePort();
  const service = startWorkerProcess({ APP_ROLE: 'all', HOST: '127.0.0.1', PORT: String(port), ...env });
  const deadline = Date.now() + timeoutMs;
  // Listening, whatever LOG_LEVEL says: it answers its liveness probe.
  const live = () =>
    new Promise<boolean>((resolve) => {
      const req = request({ host: '127.0.0.1', port, path: '/health/live', timeout: 1000 }, (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
      req.on('timeout', () => req.destroy());
      req.end();
    });
  while (!(await live())) {
    if (Date.now() > deadline || service.child.exitCode !== null) {
      if (service.child.exitCode === null) service.child.kill('SIGKILL');
      throw new Error(`service did not start:\n${service.output().slice(-3000)}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { ...service, port };
}

/** Resolves with the exit code, or with `'timeout'` (after killing it) when it does not exit in time. */
export async function exitWithin(service: WorkerProcess, ms: number): Promise<number | null | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  const result = await Promise.race([service.exited, late]);
  clearTimeout(timer);
  if (result === 'timeout') {
    service.child.kill('SIGKILL');
    await service.exited;
  }
  return result;
}
