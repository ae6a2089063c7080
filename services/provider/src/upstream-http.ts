// Keep-alive connection pools to every upstream (undici Agent per configured provider): no
// per-request TCP, TLS or DNS work on the hot path.
import type { UpstreamRequest } from "@switchyard/providers";
import { Agent, request, type Dispatcher } from "undici";

export interface UpstreamResponse {
  status: number;
  /** The response headers as a WHATWG Headers, built on first use (only errors read them). */
  headers(): Headers;
  body: Dispatcher.ResponseData["body"];
}

function toHeaders(raw: Record<string, string | string[] | undefined>): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(raw)) {
    if (typeof v === "string") headers.set(k, v);
    else if (Array.isArray(v)) for (const item of v) headers.append(k, item);
  }
  return headers;
}

export interface UpstreamPools {
  send(providerId: string, req: UpstreamRequest, signal: AbortSignal): Promise<UpstreamResponse>;
  close(): Promise<void>;
}

export function createUpstreamPools(
  limits: ReadonlyMap<string, { maxConnections: number; timeoutMs: number }>,
): UpstreamPools {
  const agents = new Map<string, Agent>();
  const agentFor = (providerId: string): Agent => {
    let agent = agents.get(providerId);
    if (agent === undefined) {
      const l = limits.get(providerId) ?? { maxConnections: 128, timeoutMs: 60_000 };
      agent = new Agent({
        connections: l.maxConnections,
        keepAliveTimeout: 30_000,
        keepAliveMaxTimeout: 300_000,
        headersTimeout: l.timeoutMs,
        bodyTimeout: l.timeoutMs,
      });
      agents.set(providerId, agent);
    }
    return agent;
  };
  return {
    async send(providerId, req, signal) {
      const res = await request(req.url, {
        method: req.method,
        headers: req.headers,
        body: req.method === "GET" ? undefined : req.body,
        dispatcher: agentFor(providerId),
        signal,
      });
      // Building a Headers object costs more than the rest of reading a small answer.
      let headers: Headers | undefined;
      return { status: res.statusCode, headers: () => (headers ??= toHeaders(res.headers)), body: res.body };
    },
    async close() {
      await Promise.all([...agents.values()].map((a) => a.close()));
    },
  };
}
