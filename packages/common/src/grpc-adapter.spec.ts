import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { create } from "@bufbuild/protobuf";
import { Server, ServerCredentials, credentials, type ServiceError } from "@grpc/grpc-js";
import { ChatResponseSchema, Gateway, type ChatRequest, type ChatResponse } from "@switchyard/proto";
import { grpcClientConstructor, grpcServiceDefinition } from "./grpc-adapter.js";

describe("grpc adapter", () => {
  it("serves and calls a protobuf-es service over grpc-js with binary messages", async () => {
    const server = new Server();
    server.addService(grpcServiceDefinition(Gateway), {
      chat: (call: { request: ChatRequest }, cb: (e: null, r: ChatResponse) => void) =>
        cb(
          null,
          create(ChatResponseSchema, {
            id: "r1",
            model: `echo:${call.request.model}:${call.request.messages.length}`,
          }),
        ),
    });
    const port = await new Promise<number>((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (e, p) =>
        e ? reject(e) : resolve(p),
      ),
    );
    const Client = grpcClientConstructor(Gateway);
    const client = new Client(`127.0.0.1:${port}`, credentials.createInsecure()) as unknown as {
      chat(req: unknown, cb: (e: ServiceError | null, r: ChatResponse) => void): void;
      close(): void;
    };
    try {
      const res = await new Promise<ChatResponse>((resolve, reject) =>
        client.chat({ model: "m", messages: [{ role: "user", content: [] }] }, (e, r) =>
          e ? reject(e) : resolve(r),
        ),
      );
      assert.equal(res.id, "r1");
      assert.equal(res.model, "echo:m:1");
    } finally {
      client.close();
      server.forceShutdown();
    }
  });

  it("marks ChatStream as server streaming", () => {
    const def = grpcServiceDefinition(Gateway);
    assert.equal(def.chatStream?.responseStream, true);
    assert.equal(def.chatStream?.requestStream, false);
    assert.equal(def.chat?.path, "/switchyard.v1.Gateway/Chat");
  });
});
