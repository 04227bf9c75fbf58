import { cpus, loadavg, totalmem } from 'node:os';

/** Below this 1-minute load average the machine counts as idle for a run (docs/benchmarks.md#latest-figures needs one). */
export const IDLE_LOAD = 0.5;

/** The 1-, 5- and 15-minute load averages, two decimals. */
export function loadNow(): [number, number, number] {
  const [a, b, c] = loadavg();
  return [a, b, c].map((x) => Number(x.toFixed(2))) as [number, number, number];
}

export interface LoadWindow {
  before: [number, number, number];
  after: [number, number, number];
}

/** Runs `work` and records the load averages just before and just after it. */
export async function withLoad<T>(work: () => Promise<T>): Promise<{ result: T; load: LoadWindow }> {
  const before = loadNow();
  const result = await work();
  return { result, load: { before, after: loadNow() } };
}

export const formatLoad = (l: LoadWindow) => `${l.before[0].toFixed(2)} → ${l.after[0].toFixed(2)}`;

export function machineFacts(postgres: string) {
  return { cpus: cpus().length, cpu: cpus()[0]?.model ?? 'unknown', memoryGb: Math.round(totalmem() / 2 ** 30), node: process.version, postgres };
}

/** The warning printed (and stored) when a run starts on a busy machine. */
export function busyWarning(load: [number, number, number]): string | undefined {
  return load[0] >= IDLE_LOAD
    ? `warning: the machine's load average was ${load[0].toFixed(2)} (1 min) / ${load[1].toFixed(2)} (5 min) when the run started, not below ${IDLE_LOAD}: other work shares the CPUs and skews the figures, the service's more than the baseline's`
    : undefined;
}
