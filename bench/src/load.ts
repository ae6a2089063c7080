// Closed-loop (fixed concurrency) and open-loop (fixed rate) HTTP load with autocannon. Response
// times are taken from autocannon's per-response event at full precision.
import autocannon from "autocannon";
import { percentiles, type Percentiles } from "./stats.js";

export interface Target {
  url: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  latency: Percentiles;
  rps: number;
  ok: number;
  errors: number;
  non2xx: number;
}

export function runLoad(
  target: Target,
  opts: { connections: number; seconds: number; rate?: number },
): Promise<LoadResult> {
  return new Promise((resolve, reject) => {
    const times: number[] = [];
    let non2xx = 0;
    const instance = autocannon(
      {
        url: target.url,
        method: "POST",
        headers: { "content-type": "application/json", ...target.headers },
        body: target.body,
        connections: opts.connections,
        duration: opts.seconds,
        ...(opts.rate !== undefined ? { overallRate: opts.rate } : {}),
        timeout: 10,
      },
      (err, result) => {
        if (err) return reject(err instanceof Error ? err : new Error(String(err)));
        resolve({
          latency: percentiles(times),
          rps: times.length / opts.seconds,
          ok: times.length,
          errors: result.errors + result.timeouts,
          non2xx,
        });
      },
    );
    instance.on("response", (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) times.push(ms);
      else non2xx++;
    });
  });
}
