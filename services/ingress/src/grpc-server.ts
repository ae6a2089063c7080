// The gRPC door: switchyard.v1.Gateway (Chat, ChatStream, Embed, ListModels), standard health,
// and reflection. Deadlines come from the client's grpc-timeout; errors map to status codes with
// `retry-after-ms` in the trailers when there is one.
import { create } from "@bufbuild/protobuf";
import {
  Metadata,
  Server,
  ServerCredentials,
  type status,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { GatewayError, MalformedRequest, grpcServiceDefinition, type Logger } from "@switchyard/common";
import {
  ChatChunkSchema,
  Gateway as GatewayService,
  ListModelsResponseSchema,
  file_grpc_health_v1_health,
  file_switchyard_v1_gateway,
  type ChatChunk,
  type ChatRequest,
  type ChatResponse,
  type EmbedRequest,
  type EmbedResponse,
  type KeyInfo,
  type ListModelsRequest,
  type ListModelsResponse,
} from "@switchyard/proto";
import { HealthImplementation } from "grpc-health-check";
import type { CallOptions, Gateway } from "./gateway.js";
import { addReflection } from "./grpc-reflection.js";
import { keyFromHeaders } from "./keys.js";
import { parseMetadataHeader } from "./route-hints.js";
import { timingHeader } from "./timing.js";

export interface GrpcDoor {
  readonly port: number;
  close(): Promise<void>;
}

function toServiceError(err: unknown): { code: status; details: string; metadata: Metadata } {
  const gerr = GatewayError.from(err);
  const metadata = new Metadata();
  for (const [name, value] of Object.entries(gerr.headers)) metadata.set(name, value);
  metadata.set("switchyard-error-code", gerr.code);
  if (gerr.retryAfterMs > 0) metadata.set("retry-after-ms", String(gerr.retryAfterMs));
  return { code: gerr.grpcStatus, details: gerr.message, metadata };
}

type Call = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

function first(md: Metadata, name: string): string | undefined {
  const v = md.get(name)[0];
  return typeof v === "string" ? v : undefined;
}

function callOptions(gateway: Gateway, call: Call): CallOptions {
  const deadline = call.getDeadline();
  const ms =
    deadline instanceof Date
      ? deadline.getTime() - Date.now()
      : Number.isFinite(deadline)
        ? deadline - Date.now()
        : undefined;
  if (ms !== undefined && ms <= 0)
    throw new GatewayError("deadline_exceeded", "the deadline passed before the call started");
  const aborter = new AbortController();
  call.on("cancelled", () => aborter.abort());
  return {
    door: "grpc",
    requestId: gateway.newRequestId(first(call.metadata, "x-request-id")),
    timeoutMs: ms === undefined ? undefined : Math.max(1, Math.floor(ms)),
    traceparent: first(call.metadata, "traceparent"),
    metadata: parseMetadataHeader(first(call.metadata, "x-switchyard-metadata")),
    signal: aborter.signal,
  };
}

/** Resolves when the stream can take more, or the client has gone. */
function drained(call: ServerWritableStream<ChatRequest, ChatChunk>): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      call.off("drain", done).off("cancelled", done).off("close", done);
      resolve();
    };
    call.once("drain", done).once("cancelled", done).once("close", done);
  });
}

/** The request, or INVALID_ARGUMENT naming what its bytes are not. */
function requestOf<T>(call: { request: T }): T {
  const req: unknown = call.request;
  if (req instanceof MalformedRequest) {
    throw new GatewayError("invalid_argument", `the request is not a valid ${req.typeName}: ${req.reason}`);
  }
  return call.request;
}

function authenticate(gateway: Gateway, call: Call): Promise<KeyInfo> {
  return gateway.authenticate(
    keyFromHeaders(first(call.metadata, "authorization"), first(call.metadata, "x-api-key")),
  );
}

/** The answer's metadata: its id, where the time went, and its headers (limits, guard, who served it). */
function answerHeaders(
  requestId: string,
  timings: Parameters<typeof timingHeader>[0],
  headers: Record<string, string>,
): Metadata {
  const md = metadataOf(headers);
  md.set("x-request-id", requestId);
  md.set("x-switchyard-timing", timingHeader(timings));
  return md;
}

function metadataOf(headers: Record<string, string>): Metadata {
  const md = new Metadata();
  for (const [name, value] of Object.entries(headers)) md.set(name, value);
  return md;
}

export async function startGrpcDoor(opts: {
  gateway: Gateway;
  log: Logger;
  host: string;
  port: number;
}): Promise<GrpcDoor> {
  const { gateway } = opts;
  const server = new Server({ "grpc.keepalive_permit_without_calls": 1 });

  const unary =
    <Req, Res>(
      fn: (
        key: KeyInfo,
        req: Req,
        call: CallOptions,
      ) => Promise<{
        value: Res;
        requestId: string;
        timings: Parameters<typeof timingHeader>[0];
        headers: Record<string, string>;
        trailers: Record<string, string>;
      }>,
    ) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const workStartedNs = process.hrtime.bigint();
      (async () => {
        const key = await authenticate(gateway, call);
        const answer = await fn(key, requestOf(call), { ...callOptions(gateway, call), workStartedNs });
        call.sendMetadata(answerHeaders(answer.requestId, answer.timings, answer.headers));
        callback(null, answer.value, metadataOf(answer.trailers));
      })().catch((err: unknown) => callback(toServiceError(err)));
    };

  const impl: UntypedServiceImplementation = {
    chat: unary<ChatRequest, ChatResponse>((key, req, c) => gateway.chat(key, req, c)),
    embed: unary<EmbedRequest, EmbedResponse>((key, req, c) => gateway.embed(key, req, c)),
    listModels: (
      call: ServerUnaryCall<ListModelsRequest, ListModelsResponse>,
      callback: sendUnaryData<ListModelsResponse>,
    ) => {
      (async () => {
        const key = await authenticate(gateway, call);
        requestOf(call);
        callback(
          null,
          create(ListModelsResponseSchema, {
            models: gateway.models(key).map((m) => ({ id: m.id, kind: m.kind, ownedBy: "switchyard" })),
          }),
        );
      })().catch((err: unknown) => callback(toServiceError(err)));
    },
    chatStream: (call: ServerWritableStream<ChatRequest, ChatChunk>) => {
      const workStartedNs = process.hrtime.bigint();
      (async () => {
        const key = await authenticate(gateway, call);
        const request = requestOf(call);
        const c = { ...callOptions(gateway, call), workStartedNs };
        let sentHeaders = false;
        let trailers: Record<string, string> = {};
        for await (const item of gateway.chatStream(key, request, c)) {
          if (!sentHeaders) {
            call.sendMetadata(
              item.type === "chunk"
                ? answerHeaders(c.requestId ?? "", item.timings, item.headers)
                : answerHeaders(c.requestId ?? "", [], {}),
            );
            sentHeaders = true;
          }
          if (item.type === "chunk") {
            // A slow reader holds the stream back here rather than filling ingress's memory.
            if (!call.write(item.chunk) && !call.cancelled) await drained(call);
          } else {
            trailers = item.trailers;
            if (request.includeUsage)
              call.write(
                create(ChatChunkSchema, {
                  usage: item.done.usage,
                  provider: item.done.provider,
                  deployment: item.done.deployment,
                }),
              );
          }
        }
        call.end(metadataOf(trailers));
      })().catch((err: unknown) => {
        if (!call.cancelled) call.emit("error", toServiceError(err));
      });
    },
  };
  server.addService(grpcServiceDefinition(GatewayService), impl);

  const health = new HealthImplementation({ "": "SERVING", "switchyard.v1.Gateway": "SERVING" });
  health.addToServer(server);
  addReflection(server, [file_switchyard_v1_gateway, file_grpc_health_v1_health]);

  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`${opts.host}:${opts.port}`, ServerCredentials.createInsecure(), (err, bound) => {
      if (err)
        reject(
          /address already in use|EADDRINUSE/i.test(err.message)
            ? new Error(`gRPC port ${opts.port} is already in use; set SWITCHYARD_GRPC_PORT`)
            : err,
        );
      else resolve(bound);
    }),
  );
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        health.setStatus("", "NOT_SERVING");
        server.tryShutdown(() => resolve());
      }),
  };
}
