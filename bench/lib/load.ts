import autocannon from 'autocannon';

export interface LoadSpec {
  method?: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: string;
  /** Per request (distinct likes, signed webhook events): returns the request to send. */
  vary?: () => { path?: string; headers?: Record<string, string>; body?: string };
}

export interface LoadResult {
  rps: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

export interface LoadSettings {
  connections: number;
  duration: number;
}

/** One autocannon run against `base`; rps is the mean over the run, latencies in ms. */
export async function load(base: string, spec: LoadSpec, settings: LoadSettings): Promise<LoadResult> {
  const result = await autocannon({
    url: base,
    connections: settings.connections,
    duration: settings.duration,
    requests: [
      {
        method: spec.method ?? 'GET',
        path: spec.path,
        headers: spec.headers,
        body: spec.body,
        ...(spec.vary
          ? {
              setupRequest: (req: Record<string, unknown>) => {
                const v = spec.vary!();
                return { ...req, ...(v.path ? { path: v.path } : {}), ...(v.body ? { body: v.body } : {}), headers: { ...(req.headers as object), ...v.headers } };
              },
            }
          : {}),
      },
    ],
  } as autocannon.Options);
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}
