// Streaming: time to first content chunk and the gaps between chunks, seen by an SSE client.
import { Agent, request } from "undici";
import type { Target } from "./load.js";
import { percentiles, type Percentiles } from "./stats.js";

export interface StreamResult {
  ttft: Percentiles;
  gap: Percentiles;
  errors: number;
}

const NON_EMPTY_CONTENT = /"content":"[^"]/;

const agent = new Agent({ connections: 128, keepAliveTimeout: 30_000 });

async function oneStream(target: Target, ttfts: number[], gaps: number[]): Promise<void> {
  const t0 = performance.now();
  const res = await request(target.url, {
    method: "POST",
    headers: { "content-type": "application/json", ...target.headers },
    body: target.body,
    dispatcher: agent,
  });
  if (res.statusCode !== 200) {
    await res.body.text();
    throw new Error(`status ${res.statusCode}`);
  }
  let last = 0;
  let buffered = "";
  for await (const chunk of res.body) {
    buffered += (chunk as Buffer).toString("utf8");
    const events = buffered.split("\n\n");
    buffered = events.pop() ?? "";
    for (const e of events) {
      // The first token is the first non-empty content delta (the role chunk before it carries "").
      if (!NON_EMPTY_CONTENT.test(e)) continue;
      const now = performance.now();
      if (last === 0) ttfts.push(now - t0);
      else gaps.push(now - last);
      last = now;
    }
  }
}

export async function probeStreams(
  target: Target,
  opts: { streams: number; concurrency: number },
): Promise<StreamResult> {
  const ttfts: number[] = [];
  const gaps: number[] = [];
  let errors = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: opts.concurrency }, async () => {
      while (next++ < opts.streams) await oneStream(target, ttfts, gaps).catch(() => errors++);
    }),
  );
  return { ttft: percentiles(ttfts), gap: percentiles(gaps), errors };
}
