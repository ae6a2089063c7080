// Retries on the same deployment with backoff before falling back, and the attempts a request
// took, visible to the client: x-switchyard-attempts and x-switchyard-deployment on HTTP answers,
// on SSE responses and in gRPC metadata and trailers; `attempts` in the usage event; and the
// provider's switchyard_provider_attempts_total. Against the MOCK provider: `fail_first=N` in a
// deployment's base URL fails only the first N requests that URL receives (the mock counts them
// per controls text, which is why every deployment below has a `words` of its own).
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  Metadata,
  credentials,
  type ClientReadableStream,
  type ClientUnaryCall,
  type ServiceError,
  type StatusObject,
} from "@grpc/grpc-js";
import { grpcClientConstructor } from "@switchyard/common";
import { Gateway, type ChatChunk, type ChatResponse } from "@switchyard/proto";
import OpenAI from "openai";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { metric, metricsOf } from "./harness/metrics.js";
import { waitForUsageEvents } from "./harness/usage-events.js";

interface Case {
  retry: { attempts: number; base_ms: number; max_ms: number };
  /** The mock's controls for the first deployment's base URL. */
  first: string;
  /** Whether a second deployment (the plain mock) backs it up. */
  second: boolean;
}

const CASES = {
  // Fails once, then answers: the retry on the same deployment serves it.
  once: {
    retry: { attempts: 2, base_ms: 50, max_ms: 1000 },
    first: "fail_first=1,error=503,words=3",
    second: true,
  },
  // Always fails: two retries, then the fallback.
  always: { retry: { attempts: 2, base_ms: 20, max_ms: 200 }, first: "error=500,words=4", second: true },
  // A 429 asking for a second: the retry waits for it, though the backoff is below 10 ms.
  "retry-after": {
    retry: { attempts: 1, base_ms: 10, max_ms: 5000 },
    first: "fail_first=1,error=429,retry_after=1,words=5",
    second: true,
  },
  // A 429 asking for 5 s, under a 2 s deadline: no wait, the fallback at once...
  deadline: {
    retry: { attempts: 2, base_ms: 10, max_ms: 10_000 },
    first: "error=429,retry_after=5,words=6",
    second: true,
  },
  // ...or, with nothing to fall back to, the error at once.
  alone: {
    retry: { attempts: 2, base_ms: 10, max_ms: 10_000 },
    first: "error=429,retry_after=5,words=7",
    second: false,
  },
  // A 429 asking for 3 s: the client leaves during the wait.
  cancel: {
    retry: { attempts: 2, base_ms: 10, max_ms: 10_000 },
    first: "error=429,retry_after=3,words=8",
    second: false,
  },
  stream: {
    retry: { attempts: 1, base_ms: 10, max_ms: 1000 },
    first: "fail_first=1,error=503,words=9",
    second: true,
  },
  grpc: {
    retry: { attempts: 1, base_ms: 10, max_ms: 1000 },
    first: "fail_first=1,error=503,words=10",
    second: true,
  },
  "grpc-stream": {
    retry: { attempts: 1, base_ms: 10, max_ms: 1000 },
    first: "fail_first=1,error=503,words=11",
    second: true,
  },
} satisfies Record<string, Case>;
type CaseName = keyof typeof CASES;

const alias = (name: CaseName): string => `retry-${name}`;
const first = (name: CaseName): string => `retry-${name}-first`;
const second = (name: CaseName): string => `retry-${name}-second`;

function addCases(file: Record<string, unknown>, mockUrl: string): void {
  const providers = file.providers as Record<string, unknown>;
  const models = file.models as unknown[];
  const deployment = (id: string, provider: string) => ({
    id,
    provider,
    model: "mock-gpt",
    input_usd_per_mtok: 0.15,
    output_usd_per_mtok: 0.6,
  });
  for (const [name, c] of Object.entries(CASES) as [CaseName, Case][]) {
    providers[`retry-${name}`] = {
      type: "openai",
      base_url: `${mockUrl}/_mock/${c.first}/openai/v1`,
      api_key_env: "MOCK_OPENAI_API_KEY",
    };
    models.push({
      alias: alias(name),
      retry: c.retry,
      deployments: [
        deployment(first(name), `retry-${name}`),
        ...(c.second ? [deployment(second(name), "mock-openai")] : []),
      ],
    });
  }
}

interface GatewayClient {
  chat(req: unknown, md: Metadata, cb: (e: ServiceError | null, r: ChatResponse) => void): ClientUnaryCall;
  chatStream(req: unknown, md: Metadata): ClientReadableStream<ChatChunk>;
  close(): void;
}

const TOPOLOGIES = [
  { name: "stage processes", inline: "" },
  { name: "every stage inline", inline: "guard,router,meter,provider" },
] as const;

for (const topology of TOPOLOGIES) {
  describe(`retries and attempts (${topology.name})`, () => {
    let gw: GatewayUnderTest;
    let client: OpenAI;
    let grpc: GatewayClient;
    /** Request ids and the attempts and fallbacks their usage events must show. */
    const expected = new Map<string, [attempts: number, fallbacks: number, deployment: string]>();
    let n = 0;
    const id = (name: CaseName): string =>
      `retry-${topology.inline === "" ? "split" : "inline"}-${name}-${n++}`;
    /** The mock's records of one request (by its marker), as [deployment, status]. */
    const seen = (marker: string, name: CaseName) =>
      gw.mock
        .requests()
        .filter((r) => r.marker === marker)
        .map((r) => ({
          deployment: r.path.includes(CASES[name].first) ? first(name) : second(name),
          status: r.status,
          at: Date.parse(r.startedAt),
        }));
    const ask = (name: CaseName, marker: string, headers: Record<string, string> = {}) =>
      client.chat.completions
        .create(
          { model: alias(name), messages: [{ role: "user", content: `retry me [marker:${marker}]` }] },
          { headers: { "x-request-id": marker, ...headers } },
        )
        .withResponse();
    const metricsText = async (): Promise<string> => {
      const proc = gw.procs(topology.inline === "" ? "provider" : "ingress")[0]!;
      return metricsOf(proc.metricsPort);
    };

    before(async () => {
      const inline = new Set(topology.inline.split(",").filter((s) => s !== ""));
      gw = await startGateway({
        replicas: Object.fromEntries(
          ["guard", "router", "meter", "provider"].map((s) => [s, inline.has(s) ? 0 : 1]),
        ),
        env: topology.inline === "" ? {} : { SWITCHYARD_INLINE_STAGES: topology.inline },
        gatewayFile: (file, { mockUrl }) => addCases(file, mockUrl),
      });
      client = new OpenAI({ baseURL: gw.httpUrl, apiKey: KEYS.dev, maxRetries: 0 });
      const Client = grpcClientConstructor(Gateway);
      grpc = new Client(gw.grpcAddress, credentials.createInsecure()) as unknown as GatewayClient;
    });
    after(async () => {
      grpc?.close();
      await gw?.stop();
    });

    it("retries a deployment that failed once on the same deployment, which answers", async () => {
      const marker = id("once");
      const { data, response } = await ask("once", marker);
      assert.match(data.choices[0]?.message.content ?? "", /\w+/);
      assert.equal(response.headers.get("x-switchyard-attempts"), "2");
      assert.equal(response.headers.get("x-switchyard-deployment"), first("once"));
      assert.deepEqual(
        seen(marker, "once").map((r) => [r.deployment, r.status]),
        [
          [first("once"), 503],
          [first("once"), 200],
        ],
      );
      expected.set(marker, [2, 0, first("once")]);
    });

    it("retries a deployment that keeps failing `attempts` times, then falls back", async () => {
      const marker = id("always");
      const { data, response } = await ask("always", marker);
      assert.match(data.choices[0]?.message.content ?? "", /\w+/);
      // Three calls to the first deployment (the call and its two retries), one to the second.
      assert.equal(response.headers.get("x-switchyard-attempts"), "4");
      assert.equal(response.headers.get("x-switchyard-deployment"), second("always"));
      assert.deepEqual(
        seen(marker, "always").map((r) => [r.deployment, r.status]),
        [
          [first("always"), 500],
          [first("always"), 500],
          [first("always"), 500],
          [second("always"), 200],
        ],
      );
      expected.set(marker, [4, 1, second("always")]);
    });

    it("waits for the upstream's Retry-After when it is longer than the backoff", async () => {
      const marker = id("retry-after");
      const { response } = await ask("retry-after", marker);
      assert.equal(response.headers.get("x-switchyard-attempts"), "2");
      assert.equal(response.headers.get("x-switchyard-deployment"), first("retry-after"));
      const calls = seen(marker, "retry-after");
      assert.deepEqual(
        calls.map((r) => [r.deployment, r.status]),
        [
          [first("retry-after"), 429],
          [first("retry-after"), 200],
        ],
      );
      // Retry-After: 1 (the backoff alone is below 10 ms). The mock's clock has millisecond
      // resolution and timers may fire a millisecond early, hence the small allowance.
      const gap = calls[1]!.at - calls[0]!.at;
      assert.ok(gap >= 990, `the retry came ${gap} ms after the 429, not after its Retry-After of 1 s`);
    });

    it("falls back instead of waiting for a Retry-After that ends past the deadline", async () => {
      const marker = id("deadline");
      const t0 = Date.now();
      const { response } = await ask("deadline", marker, { "x-request-timeout": "2000" });
      const took = Date.now() - t0;
      assert.ok(took < 1500, `answered after ${took} ms: it waited`);
      assert.equal(response.headers.get("x-switchyard-attempts"), "2");
      assert.equal(response.headers.get("x-switchyard-deployment"), second("deadline"));
      assert.deepEqual(
        seen(marker, "deadline").map((r) => [r.deployment, r.status]),
        [
          [first("deadline"), 429],
          [second("deadline"), 200],
        ],
      );
    });

    it("with nothing to fall back to, answers the upstream's error at once, with its attempts", async () => {
      const marker = id("alone");
      const t0 = Date.now();
      await assert.rejects(ask("alone", marker, { "x-request-timeout": "2000" }), (err: unknown) => {
        assert.ok(err instanceof OpenAI.RateLimitError, String(err));
        assert.equal(err.headers?.get("retry-after"), "5");
        assert.equal(err.headers?.get("x-switchyard-attempts"), "1");
        assert.equal(err.headers?.get("x-switchyard-deployment"), first("alone"));
        return true;
      });
      assert.ok(Date.now() - t0 < 1500, "it waited for the deadline");
      assert.equal(seen(marker, "alone").length, 1);
      expected.set(marker, [1, 0, first("alone")]);
    });

    if (topology.inline === "") {
      it("stops waiting to retry as soon as the client goes away", async () => {
        const marker = id("cancel");
        const inFlight = async () =>
          metric(await metricsText(), "switchyard_stage_in_flight", { stage: "provider" });
        const before = await inFlight();
        const aborter = new AbortController();
        const ended = client.chat.completions
          .create(
            { model: alias("cancel"), messages: [{ role: "user", content: `retry me [marker:${marker}]` }] },
            { headers: { "x-request-id": marker }, signal: aborter.signal },
          )
          .then(
            () => undefined,
            (err: unknown) => err,
          );
        // The 429 has come and the provider waits its 3 s Retry-After.
        const until = Date.now() + 5000;
        while (seen(marker, "cancel").every((r) => r.status !== 429)) {
          assert.ok(Date.now() < until, "the upstream was never called");
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        assert.equal(await inFlight(), before + 1, "the provider holds the request while it waits");
        aborter.abort();
        assert.ok((await ended) instanceof OpenAI.APIUserAbortError);
        const abortedAt = Date.now();
        while ((await inFlight()) > before) {
          assert.ok(Date.now() - abortedAt < 1000, "the provider kept waiting after the client left");
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        // The handler has ended: no retry can follow.
        assert.equal(seen(marker, "cancel").length, 1);
      });
    }

    it("sends the attempts and the deployment with a stream's response headers", async () => {
      const marker = id("stream");
      const { data: stream, response } = await client.chat.completions
        .create(
          {
            model: alias("stream"),
            messages: [{ role: "user", content: `stream me [marker:${marker}]` }],
            stream: true,
          },
          { headers: { "x-request-id": marker } },
        )
        .withResponse();
      assert.equal(response.headers.get("content-type"), "text/event-stream; charset=utf-8");
      assert.equal(response.headers.get("x-switchyard-attempts"), "2");
      assert.equal(response.headers.get("x-switchyard-deployment"), first("stream"));
      let text = "";
      for await (const c of stream) text += c.choices[0]?.delta.content ?? "";
      assert.match(text, /\w+/);
      assert.equal(seen(marker, "stream").length, 2);
      expected.set(marker, [2, 0, first("stream")]);
    });

    it("sends them as gRPC metadata and trailers, for unary calls and streams", async () => {
      const md = (marker: string) => {
        const m = new Metadata();
        m.set("authorization", `Bearer ${KEYS.dev}`);
        m.set("x-request-id", marker);
        return m;
      };
      const request = (name: CaseName, marker: string) => ({
        model: alias(name),
        messages: [{ role: "user", content: [{ part: { case: "text", value: `grpc [marker:${marker}]` } }] }],
      });
      const served = (m: Metadata | undefined) => [
        m?.get("x-switchyard-attempts")[0],
        m?.get("x-switchyard-deployment")[0],
      ];

      const unaryMarker = id("grpc");
      let headers: Metadata | undefined;
      let trailers: Metadata | undefined;
      const res = await new Promise<ChatResponse>((resolve, reject) => {
        const call = grpc.chat(request("grpc", unaryMarker), md(unaryMarker), (e, r) =>
          e ? reject(e) : resolve(r),
        );
        call.on("metadata", (m: Metadata) => (headers = m));
        call.on("status", (s: StatusObject) => (trailers = s.metadata));
      });
      assert.equal(res.deployment, first("grpc"));
      await new Promise((resolve) => setImmediate(resolve)); // the status event follows the answer
      assert.deepEqual(served(headers), ["2", first("grpc")]);
      assert.deepEqual(served(trailers), ["2", first("grpc")]);

      const streamMarker = id("grpc-stream");
      const call = grpc.chatStream(request("grpc-stream", streamMarker), md(streamMarker));
      let streamHeaders: Metadata | undefined;
      call.on("metadata", (m: Metadata) => (streamHeaders = m));
      const status = new Promise<StatusObject>((resolve) => call.on("status", resolve));
      let text = "";
      for await (const chunk of call as AsyncIterable<ChatChunk>) {
        text += chunk.choices[0]?.delta?.content ?? "";
      }
      assert.match(text, /\w+/);
      assert.deepEqual(served(streamHeaders), ["2", first("grpc-stream")]);
      assert.deepEqual(served((await status).metadata), ["2", first("grpc-stream")]);
    });

    it("writes the attempts and fallbacks into each request's usage event", async () => {
      const events = await waitForUsageEvents(gw.nc, gw.prefix, [...expected.keys()]);
      for (const [requestId, want] of expected) {
        const e = events.find((x) => x.requestId === requestId);
        assert.deepEqual([e?.attempts, e?.fallbacks, e?.deployment], want, `usage event of ${requestId}`);
      }
    });

    it("counts every upstream call by deployment and what followed it", async () => {
      const text = await metricsText();
      const count = (deployment: string, outcome: string) =>
        metric(text, "switchyard_provider_attempts_total", { deployment, outcome });
      assert.deepEqual(
        [
          count(first("always"), "retried"),
          count(first("always"), "fell_back"),
          count(second("always"), "ok"),
        ],
        [2, 1, 1],
      );
      assert.deepEqual([count(first("once"), "retried"), count(first("once"), "ok")], [1, 1]);
      assert.deepEqual([count(first("alone"), "failed"), count(first("alone"), "retried")], [1, 0]);
    });
  });
}
