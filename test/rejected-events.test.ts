// Requests refused at the door (bad or unknown key, bad body, unknown model, body too large), by
// HTTP and gRPC, each leave a UsageEvent on <prefix>.v1.events.rejected — never on the usage
// subject the meter settles — naming an unknown key by a hash prefix and never by the key; a
// flood of refusals publishes no more than the per-ingress cap, and the rest are counted.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, before, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { fromBinary } from "@bufbuild/protobuf";
import { Client, Metadata, credentials, status, type ServiceError } from "@grpc/grpc-js";
import { DeliverPolicy, jetstream } from "@nats-io/jetstream";
import { eventsStreamName, grpcClientConstructor, subjects } from "@switchyard/common";
import {
  Gateway,
  RequestKind,
  UsageEventBatchSchema,
  type ChatChunk,
  type ChatResponse,
  type UsageEvent,
} from "@switchyard/proto";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { metric, metricsOf } from "./harness/metrics.js";
import { readUsageEvents } from "./harness/usage-events.js";

const MAX_BODY = 64 * 1024;
const PER_SEC = 40;
const HTTP_PROBE_KEY = "sy-probe-http-4f1c2e9a7b";
const GRPC_PROBE_KEY = "sy-probe-grpc-8d3a6c0e5f";
const FLOOD_KEY = "sy-probe-flood-1b2c3d4e5f";
const hashPrefix = (key: string): string => createHash("sha256").update(key).digest("hex").slice(0, 12);

interface Stored {
  event: UsageEvent;
  /** The JetStream message the event came in. */
  raw: Uint8Array;
}

/** Every message on `subject` in the deployment's events stream. */
async function readSubject(gw: GatewayUnderTest, subject: string): Promise<Uint8Array[]> {
  const consumer = await jetstream(gw.nc).consumers.get(eventsStreamName(gw.prefix), {
    filter_subjects: [subject],
    deliver_policy: DeliverPolicy.All,
  });
  const out: Uint8Array[] = [];
  for (;;) {
    const batch = await consumer.fetch({ max_messages: 500, expires: 1000 });
    let n = 0;
    for await (const m of batch) {
      out.push(m.data);
      n++;
    }
    if (n === 0) return out;
  }
}

async function readRejected(gw: GatewayUnderTest): Promise<Stored[]> {
  const raws = await readSubject(gw, subjects(gw.prefix).rejectedEvents);
  return raws.flatMap((raw) =>
    fromBinary(UsageEventBatchSchema, raw).events.map((event) => ({ event, raw })),
  );
}

/** The rejected events of `ids`, once each has arrived (they are published in batches). */
async function waitForRejected(gw: GatewayUnderTest, ids: readonly string[]): Promise<Map<string, Stored>> {
  const until = Date.now() + 10_000;
  for (;;) {
    const byId = new Map((await readRejected(gw)).map((s) => [s.event.requestId, s]));
    const missing = ids.filter((id) => !byId.has(id));
    if (missing.length === 0) return byId;
    if (Date.now() > until) throw new Error(`no rejected event for ${missing.join(", ")}`);
    await sleep(100);
  }
}

interface GatewayClient {
  chat(req: unknown, md: Metadata, cb: (e: ServiceError | null, r: ChatResponse) => void): void;
  chatStream(req: unknown, md: Metadata): AsyncIterable<ChatChunk>;
  close(): void;
}

const auth = (key: string): Metadata => {
  const md = new Metadata();
  md.set("authorization", `Bearer ${key}`);
  return md;
};
const user = (text: string) => [{ role: "user", content: [{ part: { case: "text", value: text } }] }];

describe("requests refused at the door", () => {
  let gw: GatewayUnderTest;
  let grpc: GatewayClient;
  let raw: Client;
  /** Every refusal's id, as its answer gave it, by what it was. */
  const refused = new Map<string, string>();
  let okId = "";
  let meterRefusedId = "";

  before(async () => {
    gw = await startGateway({
      limitedRpm: 1,
      serviceEnv: {
        ingress: {
          SWITCHYARD_MAX_BODY_BYTES: String(MAX_BODY),
          SWITCHYARD_REJECTED_EVENTS_PER_SEC: String(PER_SEC),
        },
      },
    });
    const Ctor = grpcClientConstructor(Gateway);
    grpc = new Ctor(gw.grpcAddress, credentials.createInsecure()) as unknown as GatewayClient;
    raw = new Client(gw.grpcAddress, credentials.createInsecure());
  });
  after(async () => {
    grpc?.close();
    raw?.close();
    await gw?.stop();
  });

  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${gw.httpUrl}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body,
    });
  const chatBody = (model: string, content = "hello") =>
    JSON.stringify({ model, messages: [{ role: "user", content }], user: "end-user-7", max_tokens: 4 });

  /** A refused HTTP call: its status and code as the client saw them, and its id. */
  async function refusedHttp(
    what: string,
    res: Response,
    want: { status: number; code: string },
  ): Promise<string> {
    const body = (await res.json()) as { error: { code: string } };
    assert.equal(res.status, want.status, what);
    assert.equal(body.error.code, want.code, what);
    const id = res.headers.get("x-request-id") ?? "";
    assert.match(id, /^[0-9a-f-]{36}$/, `${what}: the refusal's id is in x-request-id`);
    refused.set(what, id);
    return id;
  }

  /** A refused gRPC call: its status as the client saw it, and its id (trailers). */
  function refusedGrpc(
    what: string,
    err: ServiceError | null,
    want: { code: status; error: string },
  ): string {
    assert.ok(err, `${what}: refused`);
    assert.equal(err.code, want.code, `${what}: ${err.details}`);
    assert.equal(err.metadata.get("switchyard-error-code")[0], want.error, what);
    const id = String(err.metadata.get("x-request-id")[0] ?? "");
    assert.match(id, /^[0-9a-f-]{36}$/, `${what}: the refusal's id is in the trailers`);
    refused.set(what, id);
    return id;
  }

  const grpcChat = (req: unknown, md: Metadata) =>
    new Promise<ServiceError | null>((resolve) => grpc.chat(req, md, (e) => resolve(e)));

  it("records an unknown key over HTTP by a hash prefix, never the key", async () => {
    const id = await refusedHttp(
      "http 401",
      await post("/chat/completions", chatBody("mock-gpt"), {
        authorization: `Bearer ${HTTP_PROBE_KEY}`,
        "x-request-id": "chosen-by-the-client",
      }),
      { status: 401, code: "unauthenticated" },
    );
    assert.notEqual(id, "chosen-by-the-client");
    const { event } = (await waitForRejected(gw, [id])).get(id)!;
    assert.equal(event.keyHashPrefix, hashPrefix(HTTP_PROBE_KEY));
    assert.deepEqual([event.keyId, event.tenantId], ["", ""]);
    assert.deepEqual([event.status, event.httpStatus, event.door], ["unauthenticated", 401, "http"]);
    assert.equal(event.kind, RequestKind.CHAT);
    // The body of an unauthenticated request is never read.
    assert.equal(event.model, "");
    const age = Date.now() - Number(event.finishedUnixMs);
    assert.ok(age >= 0 && age < 30_000, `finished ${age} ms ago`);
    assert.ok(event.receivedUnixMs > 0n && event.receivedUnixMs <= event.finishedUnixMs);
  });

  it("records bad JSON, an unknown model and a body too large with the key, model and user", async () => {
    const dev = { authorization: `Bearer ${KEYS.dev}` };
    const badJson = await refusedHttp("http 400", await post("/chat/completions", "{not json", dev), {
      status: 400,
      code: "invalid_argument",
    });
    const unknown = await refusedHttp(
      "http 404",
      await post("/chat/completions", chatBody("no-such-model"), dev),
      {
        status: 404,
        code: "not_found",
      },
    );
    const tooLarge = await refusedHttp(
      "http 413",
      await post("/chat/completions", chatBody("mock-gpt", "x".repeat(MAX_BODY)), dev),
      { status: 413, code: "payload_too_large" },
    );
    const events = await waitForRejected(gw, [badJson, unknown, tooLarge]);
    for (const [id, status, httpStatus, model, endUser] of [
      [badJson, "invalid_argument", 400, "", ""],
      [unknown, "not_found", 404, "no-such-model", "end-user-7"],
      [tooLarge, "payload_too_large", 413, "", ""],
    ] as const) {
      const { event } = events.get(id)!;
      assert.deepEqual(
        {
          status: event.status,
          httpStatus: event.httpStatus,
          keyId: event.keyId,
          tenant: event.tenantId !== "",
          keyHashPrefix: event.keyHashPrefix,
          model: event.model,
          endUser: event.endUser,
          door: event.door,
        },
        { status, httpStatus, keyId: "dev", tenant: true, keyHashPrefix: "", model, endUser, door: "http" },
      );
    }
  });

  it("records the same refusals over gRPC, with the HTTP status of the same error", async () => {
    const unauth = refusedGrpc(
      "grpc 401",
      await grpcChat({ model: "mock-gpt", messages: user("hi") }, auth(GRPC_PROBE_KEY)),
      { code: status.UNAUTHENTICATED, error: "unauthenticated" },
    );
    // Bytes that are no ChatRequest: field 1 says 5 bytes follow, one does.
    const malformed = refusedGrpc(
      "grpc 400",
      await new Promise<ServiceError | null>((resolve) =>
        raw.makeUnaryRequest(
          "/switchyard.v1.Gateway/Chat",
          (b: Buffer) => b,
          (b: Buffer) => b,
          Buffer.from([0x0a, 0x05, 0x61]),
          auth(KEYS.dev),
          (e) => resolve(e),
        ),
      ),
      { code: status.INVALID_ARGUMENT, error: "invalid_argument" },
    );
    let streamErr: ServiceError | null = null;
    try {
      for await (const chunk of grpc.chatStream(
        { model: "no-such-model", messages: user("hi"), user: "end-user-9" },
        auth(KEYS.dev),
      ))
        void chunk;
    } catch (e) {
      streamErr = e as ServiceError;
    }
    const unknown = refusedGrpc("grpc 404", streamErr, { code: status.NOT_FOUND, error: "not_found" });
    const tooLarge = refusedGrpc(
      "grpc 413",
      await grpcChat({ model: "mock-gpt", messages: user("x".repeat(MAX_BODY)) }, auth(KEYS.dev)),
      { code: status.RESOURCE_EXHAUSTED, error: "payload_too_large" },
    );
    const events = await waitForRejected(gw, [unauth, malformed, unknown, tooLarge]);
    const e401 = events.get(unauth)!.event;
    assert.deepEqual(
      [e401.keyHashPrefix, e401.keyId, e401.httpStatus, e401.door, e401.model],
      [hashPrefix(GRPC_PROBE_KEY), "", 401, "grpc", ""],
    );
    const e400 = events.get(malformed)!.event;
    assert.deepEqual([e400.status, e400.httpStatus, e400.keyId], ["invalid_argument", 400, "dev"]);
    const e404 = events.get(unknown)!.event;
    assert.deepEqual(
      [e404.status, e404.httpStatus, e404.model, e404.endUser, e404.stream, e404.keyId],
      ["not_found", 404, "no-such-model", "end-user-9", true, "dev"],
    );
    const e413 = events.get(tooLarge)!.event;
    assert.deepEqual([e413.status, e413.httpStatus, e413.keyId], ["payload_too_large", 413, "dev"]);
  });

  it("leaves requests the pipeline took to the usage subject, and refusals off it", async () => {
    const ok = await post("/chat/completions", chatBody("mock-gpt"), { authorization: `Bearer ${KEYS.dev}` });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
    okId = ok.headers.get("x-request-id") ?? "";
    // The meter refuses the limited key's second request in a minute: a pipeline refusal.
    const limited = { authorization: `Bearer ${KEYS.limited}` };
    for (let i = 0; i < 3 && meterRefusedId === ""; i++) {
      const res = await post("/chat/completions", chatBody("mock-gpt"), limited);
      await res.body?.cancel();
      if (res.status === 429) meterRefusedId = res.headers.get("x-request-id") ?? "";
    }
    assert.notEqual(meterRefusedId, "", "the meter refused the limited key");
    const until = Date.now() + 10_000;
    let usage = await readUsageEvents(gw.nc, gw.prefix);
    while (![okId, meterRefusedId].every((id) => usage.some((e) => e.requestId === id))) {
      assert.ok(Date.now() < until, "usage events of the requests the pipeline took");
      await sleep(100);
      usage = await readUsageEvents(gw.nc, gw.prefix);
    }
    assert.equal(usage.find((e) => e.requestId === meterRefusedId)?.status, "rate_limited");
    const usageIds = new Set(usage.map((e) => e.requestId));
    for (const [what, id] of refused) assert.ok(!usageIds.has(id), `${what} is not on the usage subject`);
    const rejectedIds = new Set((await readRejected(gw)).map((s) => s.event.requestId));
    assert.ok(!rejectedIds.has(okId) && !rejectedIds.has(meterRefusedId), "no rejected event for them");
    // Not a byte of any event in the stream holds a key that was refused.
    for (const data of await readSubject(gw, `${gw.prefix}.v1.events.>`)) {
      const bytes = Buffer.from(data);
      for (const key of [HTTP_PROBE_KEY, GRPC_PROBE_KEY]) assert.equal(bytes.indexOf(key), -1);
    }
  });

  it("publishes no more than the cap under a flood, and counts every refusal", async () => {
    const ingress = gw.procs("ingress")[0]!;
    const started = performance.now();
    const FLOOD = 600;
    let next = 0;
    await Promise.all(
      Array.from({ length: 30 }, async () => {
        while (next < FLOOD) {
          next++;
          const res = await fetch(`${gw.httpUrl}/models`, {
            headers: { authorization: `Bearer ${FLOOD_KEY}` },
          });
          assert.equal(res.status, 401);
          await res.body?.cancel();
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    // Once every refusal is either in the stream or counted as dropped, nothing else is on its way.
    const until = Date.now() + 10_000;
    for (;;) {
      const text = await metricsOf(ingress.metricsPort);
      const refusals = sumOf(text, "switchyard_rejected_requests_total");
      const dropped = sumOf(text, "switchyard_rejected_events_dropped_total");
      const stored = await readRejected(gw);
      if (stored.length + dropped === refusals || Date.now() > until) {
        assert.equal(stored.length + dropped, refusals, "every refusal is published or counted as dropped");
        assert.equal(
          metric(text, "switchyard_rejected_requests_total", { door: "http", status: "unauthenticated" }),
          FLOOD + 1,
        );
        const flood = stored.filter((s) => s.event.keyHashPrefix === hashPrefix(FLOOD_KEY)).length;
        // A full bucket (a second's worth) plus the rate over the flood, at most.
        const most = PER_SEC + Math.ceil(PER_SEC * seconds) + 1;
        assert.ok(flood > 0 && flood <= most, `${flood} events in ${seconds.toFixed(2)} s, at most ${most}`);
        assert.ok(dropped >= FLOOD - most, `${dropped} dropped`);
        return;
      }
      await sleep(100);
    }
  });
});

/** The sum of a counter over all its label values (0 when it has none yet). */
function sumOf(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split("\n"))
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      sum += Number(line.slice(line.lastIndexOf(" ") + 1));
  return sum;
}
