// The gRPC door: switchyard.v1.Gateway (Chat, ChatStream, Embed, ListModels, the batch rpcs
// over batch-service.ts and the chain rpcs over chain-service.ts), standard health, and
// reflection. Deadlines come from the client's grpc-timeout; errors map to status codes with
// `retry-after-ms` in the trailers when there is one, and the request field at fault as
// `switchyard-error-field`.
import { create } from "@bufbuild/protobuf";
import {
  Metadata,
  Server,
  ServerCredentials,
  type status,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  type ServiceDefinition,
  type UntypedServiceImplementation,
} from "@grpc/grpc-js";
import { GatewayError, MalformedRequest, grpcServiceDefinition, type Logger } from "@switchyard/common";
import {
  ChatChunkSchema,
  Gateway as GatewayService,
  ListBatchesResponseSchema,
  ListChainsResponseSchema,
  ListModelsResponseSchema,
  RequestKind,
  file_grpc_health_v1_health,
  file_switchyard_v1_gateway,
  type Batch,
  type CancelBatchRequest,
  type ChainRun,
  type ChatChunk,
  type ChatRequest,
  type ChatResponse,
  type EmbedRequest,
  type EmbedResponse,
  type GetBatchRequest,
  type GetChainRequest,
  type KeyInfo,
  type ListBatchesRequest,
  type ListBatchesResponse,
  type ListChainsRequest,
  type ListChainsResponse,
  type ListModelsRequest,
  type ListModelsResponse,
  type StartChainRequest,
  type SubmitBatchRequest,
} from "@switchyard/proto";
import { HealthImplementation } from "grpc-health-check";
import { batchMessage } from "./batch-message.js";
import { BATCH_LIST_LIMIT, type BatchService } from "./batch-service.js";
import { chainMessage, chainRunMessage } from "./chain-message.js";
import type { ChainService } from "./chain-service.js";
import type { CallOptions, Gateway } from "./gateway.js";
import { addReflection } from "./grpc-reflection.js";
import { keyFromHeaders } from "./keys.js";
import { doorRequest, noteRequest, type DoorRequest, type Refusals } from "./refusals.js";
import { parseMetadataHeader } from "./route-hints.js";
import { timingHeader } from "./timing.js";

export interface GrpcDoor {
  readonly port: number;
  close(): Promise<void>;
}

export interface GrpcDoorOptions {
  gateway: Gateway;
  log: Logger;
  /** Where requests refused here (before the pipeline) are recorded. */
  refusals: Refusals;
  host: string;
  port: number;
  /** Largest request message accepted (payload_too_large beyond), as for HTTP bodies. */
  maxBodyBytes: number;
  /** The batch rpcs' work; without it they answer UNAVAILABLE. */
  batches?: BatchService;
  /** The chain rpcs' work; without it they answer UNAVAILABLE. */
  chains?: ChainService;
}

/**
 * What the deserializer gives for a request larger than the body limit, so the handler refuses it
 * with payload_too_large (and records the refusal) instead of grpc-js refusing it unseen.
 */
class OversizedRequest {
  constructor(readonly bytes: number) {}
}

/** The service's methods, refusing request messages over `maxBytes` (see OversizedRequest). */
function withBodyLimit(def: ServiceDefinition, maxBytes: number): ServiceDefinition {
  return Object.fromEntries(
    Object.entries(def).map(([name, method]) => [
      name,
      {
        ...method,
        requestDeserialize: (buf: Buffer): unknown =>
          buf.length > maxBytes ? new OversizedRequest(buf.length) : method.requestDeserialize(buf),
      },
    ]),
  );
}

/** The call's error status; `requestId` (a refusal's) goes in its trailers as x-request-id. */
function toServiceError(
  gerr: GatewayError,
  requestId: string | undefined,
): { code: status; details: string; metadata: Metadata } {
  const metadata = new Metadata();
  if (requestId !== undefined) metadata.set("x-request-id", requestId);
  for (const [name, value] of Object.entries(gerr.headers)) metadata.set(name, value);
  metadata.set("switchyard-error-code", gerr.code);
  if (gerr.field !== "") metadata.set("switchyard-error-field", gerr.field);
  if (gerr.retryAfterMs > 0) metadata.set("retry-after-ms", String(gerr.retryAfterMs));
  return { code: gerr.grpcStatus, details: gerr.message, metadata };
}

type Call = ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>;

function first(md: Metadata, name: string): string | undefined {
  const v = md.get(name)[0];
  return typeof v === "string" ? v : undefined;
}

function callOptions(gateway: Gateway, call: Call, door: DoorRequest): CallOptions {
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
    onEntered: () => (door.entered = true),
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

/**
 * The request (noted for its refusal), INVALID_ARGUMENT naming what its bytes are not, or
 * payload_too_large past the body limit.
 */
function requestOf<T>(call: { request: T }, door: DoorRequest, maxBytes: number): T {
  const req: unknown = call.request;
  if (req instanceof MalformedRequest) {
    throw new GatewayError("invalid_argument", `the request is not a valid ${req.typeName}: ${req.reason}`);
  }
  if (req instanceof OversizedRequest) {
    throw new GatewayError(
      "payload_too_large",
      `the request (${req.bytes} bytes) is larger than the limit of ${maxBytes} bytes`,
    );
  }
  noteRequest(door, req);
  return call.request;
}

function authenticate(gateway: Gateway, call: Call, door: DoorRequest): Promise<KeyInfo> {
  door.presentedKey = keyFromHeaders(
    first(call.metadata, "authorization"),
    first(call.metadata, "x-api-key"),
  );
  return gateway.authenticate(door.presentedKey, (k) => (door.key = k));
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

/** A required string field of a request: INVALID_ARGUMENT naming it when it is empty. */
function required(value: string, field: string): string {
  if (value === "") throw new GatewayError("invalid_argument", `${field} is required`, { field });
  return value;
}

export async function startGrpcDoor(opts: GrpcDoorOptions): Promise<GrpcDoor> {
  const { gateway, refusals, maxBodyBytes } = opts;
  const server = new Server({
    "grpc.keepalive_permit_without_calls": 1,
    // grpc-js refuses larger messages itself, before any handler runs and so unrecorded; up to
    // this, the handler refuses past maxBodyBytes and records it. The margin bounds the memory a
    // message may take while it is read.
    "grpc.max_receive_message_length": 2 * maxBodyBytes,
  });
  /**
   * The call's error, recorded as a refusal when the pipeline never took the request, and logged
   * when it is the gateway's own (internal).
   */
  const failure = (door: DoorRequest, err: unknown) => {
    const gerr = GatewayError.from(err);
    const requestId = refusals.record(door, gerr);
    if (gerr.code === "internal") opts.log.error({ err, requestId }, "request failed");
    return toServiceError(gerr, requestId);
  };

  const unary =
    <Req, Res>(
      kind: RequestKind,
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
      const door = doorRequest("grpc", kind);
      (async () => {
        const key = await authenticate(gateway, call, door);
        const req = requestOf(call, door, maxBodyBytes);
        const answer = await fn(key, req, { ...callOptions(gateway, call, door), workStartedNs });
        call.sendMetadata(answerHeaders(answer.requestId, answer.timings, answer.headers));
        callback(null, answer.value, metadataOf(answer.trailers));
      })().catch((err: unknown) => callback(failure(door, err)));
    };

  /**
   * An rpc of a door-independent service (batches, chains): the key and request, checked as for
   * the others, answered by the service; UNAVAILABLE when the door was started without it.
   */
  const serviceRpc =
    <S>(service: S | undefined, what: string) =>
    <Req, Res>(fn: (service: S, key: KeyInfo, req: Req) => Promise<Res>) =>
    (call: ServerUnaryCall<Req, Res>, callback: sendUnaryData<Res>): void => {
      const door = doorRequest("grpc");
      (async () => {
        const key = await authenticate(gateway, call, door);
        const req = requestOf(call, door, maxBodyBytes);
        if (service === undefined) throw new GatewayError("unavailable", `${what} are not configured`);
        callback(null, await fn(service, key, req));
      })().catch((err: unknown) => callback(failure(door, err)));
    };
  const batchRpc = serviceRpc(opts.batches, "batches");
  const chainRpc = serviceRpc(opts.chains, "chains");

  const impl: UntypedServiceImplementation = {
    chat: unary<ChatRequest, ChatResponse>(RequestKind.CHAT, (key, req, c) => gateway.chat(key, req, c)),
    embed: unary<EmbedRequest, EmbedResponse>(RequestKind.EMBED, (key, req, c) => gateway.embed(key, req, c)),
    listModels: (
      call: ServerUnaryCall<ListModelsRequest, ListModelsResponse>,
      callback: sendUnaryData<ListModelsResponse>,
    ) => {
      const door = doorRequest("grpc");
      (async () => {
        const key = await authenticate(gateway, call, door);
        requestOf(call, door, maxBodyBytes);
        callback(
          null,
          create(ListModelsResponseSchema, {
            models: gateway.models(key).map((m) => ({ id: m.id, kind: m.kind, ownedBy: "switchyard" })),
          }),
        );
      })().catch((err: unknown) => callback(failure(door, err)));
    },
    submitBatch: batchRpc<SubmitBatchRequest, Batch>(async (batches, key, req) => {
      const params = {
        inputFileId: req.inputFileId,
        endpoint: req.endpoint,
        completionWindow: req.completionWindow,
        // An empty map is no metadata, as an absent `metadata` is over HTTP.
        metadata: Object.keys(req.metadata).length > 0 ? req.metadata : undefined,
      };
      return batchMessage(await batches.create(key, params));
    }),
    getBatch: batchRpc<GetBatchRequest, Batch>(async (batches, key, req) =>
      batchMessage(await batches.get(key, required(req.batchId, "batch_id"))),
    ),
    listBatches: batchRpc<ListBatchesRequest, ListBatchesResponse>(async (batches, key, req) => {
      const page = await batches.list(key, {
        after: req.after === "" ? undefined : req.after,
        limit: req.limit === 0 ? BATCH_LIST_LIMIT.default : req.limit,
      });
      return create(ListBatchesResponseSchema, {
        batches: page.data.map(batchMessage),
        hasMore: page.hasMore,
      });
    }),
    cancelBatch: batchRpc<CancelBatchRequest, Batch>(async (batches, key, req) =>
      batchMessage(await batches.cancel(key, required(req.batchId, "batch_id"))),
    ),
    startChain: chainRpc<StartChainRequest, ChainRun>(async (chains, key, req) => {
      const run = await chains.start(key, required(req.name, "name"), {
        // An absent Struct is no inputs, as `{}` is: a chain that takes some names the one missing.
        inputs: req.inputs ?? {},
        version: req.version === 0 ? undefined : req.version,
      });
      return chainRunMessage(run);
    }),
    getChain: chainRpc<GetChainRequest, ChainRun>(async (chains, key, req) =>
      chainRunMessage(await chains.get(key, required(req.runId, "run_id"))),
    ),
    listChains: chainRpc<ListChainsRequest, ListChainsResponse>((chains, key) =>
      Promise.resolve(create(ListChainsResponseSchema, { chains: chains.list(key).map(chainMessage) })),
    ),
    chatStream: (call: ServerWritableStream<ChatRequest, ChatChunk>) => {
      const workStartedNs = process.hrtime.bigint();
      const door = doorRequest("grpc", RequestKind.CHAT);
      door.stream = true;
      (async () => {
        const key = await authenticate(gateway, call, door);
        const request = requestOf(call, door, maxBodyBytes);
        const c = { ...callOptions(gateway, call, door), workStartedNs };
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
            // The prompt-side usage an upstream reports at its start is the Anthropic door's
            // (message_start); gRPC clients get one usage, at the end (include_usage).
            item.chunk.usage = undefined;
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
        const error = failure(door, err);
        if (!call.cancelled) call.emit("error", error);
      });
    },
  };
  server.addService(withBodyLimit(grpcServiceDefinition(GatewayService), maxBodyBytes), impl);

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
