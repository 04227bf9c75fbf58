import { Agent, request } from 'node:http';
import { Rng } from '../../scripts/lib/prng';
import { LoadSpec } from './load';

/**
 * Open-loop load: requests arrive on a Poisson schedule at a fixed offered rate, whether or not earlier ones have
 * been answered (as users arrive), and each latency is measured from the request's *scheduled* arrival, not from
 * when it was sent. A closed loop (autocannon's connections waiting for their answers) slows its own arrivals when
 * the server slows, and so hides queueing delay ("coordinated omission"); this does not. autocannon's `overallRate`
 * spaces requests evenly over a fixed set of connections and measures from the send, so it is not used here.
 */
export interface OpenLoopSettings {
  /** Offered rate, requests per second. */
  rate: number;
  /** Seconds measured (after `warmup`). */
  duration: number;
  /** Seconds at the same rate before measuring (not counted). */
  warmup: number;
  /** Requests allowed in flight at once; an arrival beyond it is counted as `shed`, with no latency. */
  maxInFlight?: number;
  /** Seed of the arrival schedule (the same seed, the same schedule). */
  seed?: number;
}

export interface OpenLoopResult {
  offeredRate: number;
  durationSeconds: number;
  /** Arrivals in the measured window, and those answered (any status). */
  scheduled: number;
  completed: number;
  /** Answered per second over the window. */
  achievedRate: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  non2xx: number;
  errors: number;
  shed: number;
  /** How late the generator sent requests after their scheduled time, ms (p50 / p99): its own share of the latency. */
  sendLagP50: number;
  sendLagP99: number;
}

const round = (x: number) => Math.round(x * 100) / 100;

export function percentile(sorted: number[], p: number): number {
  if (!sorted.length) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** One open-loop run against `base`: Poisson arrivals at `settings.rate` for `warmup + duration` seconds. */
export async function openLoop(base: string, spec: LoadSpec, settings: OpenLoopSettings): Promise<OpenLoopResult> {
  const url = new URL(base);
  const agent = new Agent({ keepAlive: true, maxSockets: Infinity, keepAliveMsecs: 10_000 });
  const rng = new Rng(settings.seed ?? 7, 31);
  const maxInFlight = settings.maxInFlight ?? 2000;
  const latencies: number[] = [];
  const lags: number[] = [];
  let scheduled = 0;
  let non2xx = 0;
  let errors = 0;
  let shed = 0;
  let inFlight = 0;
  const pending = new Set<Promise<void>>();
  const start = performance.now() + 20;
  const measureFrom = start + settings.warmup * 1000;
  const end = measureFrom + settings.duration * 1000;

  const fire = (at: number) => {
    const measured = at >= measureFrom;
    if (measured) scheduled++;
    if (inFlight >= maxInFlight) {
      if (measured) shed++;
      return;
    }
    const v = spec.vary?.() ?? {};
    const body = v.body ?? spec.body;
    const headers: Record<string, string | number> = { ...spec.headers, ...v.headers };
    if (body !== undefined) headers['content-length'] = Buffer.byteLength(body);
    if (measured) lags.push(performance.now() - at);
    inFlight++;
    const done = new Promise<void>((resolve) => {
      const req = request(
        { agent, host: url.hostname, port: url.port, method: spec.method ?? 'GET', path: v.path ?? spec.path, headers },
        (res) => {
          res.resume();
          res.on('end', () => {
            if (measured) {
              latencies.push(performance.now() - at);
              if ((res.statusCode ?? 0) >= 300) non2xx++;
            }
            resolve();
          });
          res.on('error', () => {
            if (measured) errors++;
            resolve();
          });
        },
      );
      req.on('error', () => {
        if (measured) errors++;
        resolve();
      });
      req.end(body);
    });
    pending.add(done);
    void done.finally(() => {
      inFlight--;
      pending.delete(done);
    });
  };

  let next = start;
  while (next < end) {
    const now = performance.now();
    if (next > now) {
      await new Promise((r) => setTimeout(r, Math.max(1, next - now)));
      continue;
    }
    fire(next);
    next += (-Math.log(1 - rng.next()) / settings.rate) * 1000;
  }
  await Promise.all([...pending]);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  lags.sort((a, b) => a - b);
  return {
    offeredRate: settings.rate,
    durationSeconds: settings.duration,
    scheduled,
    completed: latencies.length,
    achievedRate: round(latencies.length / settings.duration),
    p50: round(percentile(latencies, 50)),
    p90: round(percentile(latencies, 90)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies[latencies.length - 1] ?? NaN),
    non2xx,
    errors,
    shed,
    sendLagP50: round(percentile(lags, 50)),
    sendLagP99: round(percentile(lags, 99)),
  };
}
