// A grpc-js client does chat, streaming and embeddings through the whole pipeline; deadlines
// are honoured; grpcurl lists and describes the service through reflection.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Metadata, credentials, status, type ClientReadableStream, type ServiceError } from "@grpc/grpc-js";
import { grpcClientConstructor } from "@switchyard/common";
import {
  Gateway,
  type ChatChunk,
  type ChatResponse,
  type EmbedResponse,
  type ListModelsResponse,
} from "@switchyard/proto";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";
import { mockCallsFrom } from "./harness/mock-seen.js";
import { grpcurl } from "./harness/grpcurl.js";

interface GatewayClient {
  chat(
    req: unknown,
    md: Metadata,
    opts: { deadline?: number },
    cb: (e: ServiceError | null, r: ChatResponse) => void,
  ): void;
  chatStream(req: unknown, md: Metadata): ClientReadableStream<ChatChunk>;
  embed(req: unknown, md: Metadata, cb: (e: ServiceError | null, r: EmbedResponse) => void): void;
  listModels(req: unknown, md: Metadata, cb: (e: ServiceError | null, r: ListModelsResponse) => void): void;
  close(): void;
}

const auth = (key: string = KEYS.dev): Metadata => {
  const md = new Metadata();
  md.set("authorization", `Bearer ${key}`);
  return md;
};
const user = (text: string) => [{ role: "user", content: [{ part: { case: "text", value: text } }] }];

describe("gRPC door", () => {
  let gw: GatewayUnderTest;
  let client: GatewayClient;

  before(async () => {
    gw = await startGateway();
    const Client = grpcClientConstructor(Gateway);
    client = new Client(gw.grpcAddress, credentials.createInsecure()) as unknown as GatewayClient;
  });
  after(async () => {
    client?.close();
    await gw?.stop();
  });

  const chat = (req: unknown, md: Metadata, deadline?: number) =>
    new Promise<ChatResponse>((resolve, reject) =>
      client.chat(req, md, { deadline }, (e, r) => (e ? reject(e) : resolve(r))),
    );

  it("chats", async () => {
    const res = await chat({ model: "mock-claude", messages: user("hello over grpc") }, auth());
    assert.match(res.choices[0]?.message?.content[0]?.part.value as string, /\w+/);
    assert.ok((res.usage?.completionTokens ?? 0) > 0);
    assert.equal(res.deployment, "mock-anthropic-mock-claude");
  });

  it("streams", async () => {
    const call = client.chatStream(
      { model: "mock-gpt", messages: user("stream over grpc"), includeUsage: true },
      auth(),
    );
    let text = "";
    let usage = 0;
    for await (const chunk of call as AsyncIterable<ChatChunk>) {
      text += chunk.choices[0]?.delta?.content ?? "";
      usage = chunk.usage?.completionTokens ?? usage;
    }
    assert.match(text, /\w+/);
    assert.ok(usage > 0);
  });

  it("gives one usage, at the end, even from an upstream that reports the prompt's at the start", async () => {
    const call = client.chatStream(
      { model: "mock-claude", messages: user("stream from claude"), includeUsage: true },
      auth(),
    );
    const chunks: ChatChunk[] = [];
    for await (const chunk of call as AsyncIterable<ChatChunk>) chunks.push(chunk);
    const withUsage = chunks.filter((c) => c.usage !== undefined && c.usage !== null);
    assert.equal(withUsage.length, 1);
    assert.equal(withUsage[0], chunks.at(-1));
    assert.ok((withUsage[0]?.usage?.completionTokens ?? 0) > 0);
  });

  it("embeds and lists models", async () => {
    const res = await new Promise<EmbedResponse>((resolve, reject) =>
      client.embed({ model: "mock-embed", input: ["a", "b", "c"] }, auth(), (e, r) =>
        e ? reject(e) : resolve(r),
      ),
    );
    assert.equal(res.data.length, 3);
    assert.ok((res.data[0]?.vector.length ?? 0) > 0);
    const models = await new Promise<ListModelsResponse>((resolve, reject) =>
      client.listModels({}, auth(), (e, r) => (e ? reject(e) : resolve(r))),
    );
    assert.ok(models.models.some((m) => m.id === "mock-embed" && m.kind === "embedding"));
  });

  it("maps errors to status codes", async () => {
    await assert.rejects(
      chat({ model: "mock-gpt", messages: user("x") }, auth("nope")),
      (e: ServiceError) => e.code === status.UNAUTHENTICATED,
    );
    await assert.rejects(
      chat({ model: "ghost", messages: user("x") }, auth()),
      (e: ServiceError) => e.code === status.NOT_FOUND,
    );
    await assert.rejects(
      chat({ model: "mock-claude", messages: user("x") }, auth(KEYS.restricted)),
      (e: ServiceError) => e.code === status.PERMISSION_DENIED,
    );
  });

  it("refuses a chat with no messages at the door, naming the field", async () => {
    const upstream = mockCallsFrom(gw);
    await assert.rejects(chat({ model: "mock-gpt", messages: [] }, auth()), (e: ServiceError) => {
      assert.equal(e.code, status.INVALID_ARGUMENT, e.details);
      assert.match(e.details, /messages/);
      assert.equal(e.metadata.get("switchyard-error-field")[0], "messages");
      return true;
    });
    assert.deepEqual(upstream(), [], "nothing went upstream");
  });

  it("gives DEADLINE_EXCEEDED when the deadline passes while the upstream works", async () => {
    const t0 = Date.now();
    await assert.rejects(
      chat({ model: "mock-gpt", messages: user("slow [mock:latency=3000]") }, auth(), Date.now() + 400),
      (e: ServiceError) => e.code === status.DEADLINE_EXCEEDED,
    );
    assert.ok(Date.now() - t0 < 2000, "did not wait for the slow upstream");
  });

  it("lists and describes the service through reflection (grpcurl)", async () => {
    const services = await grpcurl(["-plaintext", gw.grpcAddress, "list"]);
    assert.match(services, /^switchyard\.v1\.Gateway$/m);
    assert.match(services, /^grpc\.health\.v1\.Health$/m);
    const described = await grpcurl(["-plaintext", gw.grpcAddress, "describe", "switchyard.v1.Gateway"]);
    assert.match(
      described,
      /rpc ChatStream \( \.switchyard\.v1\.ChatRequest \) returns \( stream \.switchyard\.v1\.ChatChunk \)/,
    );
    const health = await grpcurl(["-plaintext", gw.grpcAddress, "grpc.health.v1.Health/Check"]);
    assert.match(health, /SERVING/);
  });
});
