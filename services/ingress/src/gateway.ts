// The door-independent core of ingress: authenticate, authorise, build the envelope, send it
// down the pipeline and give back the answer. HTTP and gRPC are thin mappings around this.
import { randomUUID } from "node:crypto";
import { create } from "@bufbuild/protobuf";
import {
  Flight,
  GatewayError,
  HOME,
  newEnvelope,
  modelAllowed,
  recordTiming,
  type Catalog,
} from "@switchyard/common";
import {
  RequestKind,
  OriginSchema,
  RouteHintsSchema,
  TraceContextSchema,
  type ChatChunk,
  type ChatRequest,
  type ChatResponse,
  type EmbedRequest,
  type EmbedResponse,
  type KeyInfo,
  type Reply,
  type StageTiming,
  type StreamDone,
} from "@switchyard/proto";
import { checkChatRequest, checkEmbedRequest } from "./canonical-request.js";
import { chatPromptTokens, embedPromptTokens, encodingFor } from "./prompt-tokens.js";
import { guardHeader } from "./guard-header.js";
import { rateLimitHeaders } from "./rate-limit-headers.js";
import { promptCacheWriteOf } from "./prompt-cache-write.js";
import { routeHintsOf } from "./route-hints.js";
import { servedHeaders } from "./served-headers.js";
import type { KeyStore } from "./keys.js";
import type { PipelineClient } from "./pipeline-client.js";

/** The stages every interactive request visits, in order. */
export const ITINERARY = ["guard", "router", "meter", "provider"] as const;

const REQUEST_ID = /^[A-Za-z0-9_-]{1,128}$/;

export interface CallOptions {
  /** Which door the request came in by, for its usage event. */
  door: "http" | "grpc" | "batch" | "chain";
  /** The batch or chain it belongs to. */
  batchId?: string;
  chainId?: string;
  requestId?: string;
  /**
   * When ingress's own work on the request began (process.hrtime.bigint()), less any time it
   * spent waiting for the client's body: its part of the timing then covers auth, parsing and
   * validation, not only the envelope.
   */
  workStartedNs?: bigint;
  /** Client-requested timeout in ms; clamped to the configured maximum. */
  timeoutMs?: number;
  traceparent?: string;
  /** The `x-switchyard-metadata` header's pairs, for the router's conditions. */
  metadata?: Readonly<Record<string, string>>;
  signal: AbortSignal;
  /**
   * Called once the pipeline has taken the request: from then on its usage event tells how it
   * ended. A request refused before (a door refusal) has none.
   */
  onEntered?: () => void;
}

export interface Answer<T> {
  value: T;
  requestId: string;
  timings: StageTiming[];
  /**
   * The answer's headers: the x-ratelimit-* of the limits the request counted against,
   * x-switchyard-guard, x-switchyard-deployment and x-switchyard-attempts.
   */
  headers: Record<string, string>;
  /** What gRPC repeats in its trailers: x-switchyard-deployment and x-switchyard-attempts. */
  trailers: Record<string, string>;
  /** What the answer cost, as its usage event says (nano-USD). */
  costNanoUsd: bigint;
}

export type StreamItem =
  /** `headers` are the answer's (as Answer's), on the first chunk only; later chunks have none. */
  | { type: "chunk"; chunk: ChatChunk; timings: StageTiming[]; headers: Record<string, string> }
  | { type: "done"; done: StreamDone; trailers: Record<string, string> };

const NO_HEADERS: Record<string, string> = Object.freeze({});

export interface Gateway {
  /** The key of a secret; `seen` gets the key the store knows even when it then refuses it. */
  authenticate(presentedKey: string | undefined, seen?: (key: KeyInfo) => void): Promise<KeyInfo>;
  newRequestId(requested: string | undefined): string;
  /** permission_denied unless the key has the scope ("chat", "embeddings", …). */
  authorizeScope(key: KeyInfo, scope: "chat" | "embeddings"): void;
  chat(key: KeyInfo, req: ChatRequest, opts: CallOptions): Promise<Answer<ChatResponse>>;
  /** Starts a stream; the first item is awaited before returning so errors before the first byte surface as a rejection. */
  chatStream(key: KeyInfo, req: ChatRequest, opts: CallOptions): AsyncGenerator<StreamItem>;
  embed(key: KeyInfo, req: EmbedRequest, opts: CallOptions): Promise<Answer<EmbedResponse>>;
  /**
   * The prompt's tokens as the tokenizer of the model's first deployment counts them (an
   * estimate for families without a local tokenizer; see prompt-tokens.ts). No upstream call.
   */
  countTokens(key: KeyInfo, req: ChatRequest): Promise<number>;
  models(key: KeyInfo): { id: string; kind: string }[];
  model(key: KeyInfo, id: string): { id: string; kind: string };
}

export interface GatewayDeps {
  client: PipelineClient;
  keys: KeyStore;
  catalog: Catalog;
  /** Stages this ingress runs in-process: "@stage" on the routing slip. */
  inlineStages: ReadonlySet<string>;
  instance: string;
  defaultTimeoutMs: number;
  /** Output tokens reserved for a request that sets no max_tokens (gateway file, `limits`). */
  defaultOutputTokens: number;
  maxTimeoutMs: number;
  onTimings: (timings: readonly StageTiming[]) => void;
}

function promptChars(req: ChatRequest): number {
  return req.messages.reduce(
    (n, m) => n + m.content.reduce((k, p) => k + (p.part.case === "text" ? p.part.value.length : 0), 0),
    0,
  );
}

export function createGateway(deps: GatewayDeps): Gateway {
  function checkModel(key: KeyInfo, model: string): void {
    if (!deps.catalog.has(model))
      throw new GatewayError("not_found", `the model \`${model}\` does not exist`, { field: "model" });
    deps.keys.authorizeModel(key, model);
  }

  const encodingOf = (alias: string) =>
    encodingFor(deps.catalog.get(alias)?.deployments[0]?.upstreamModel ?? "");

  const itinerary = ITINERARY.map((stage) => (deps.inlineStages.has(stage) ? `${HOME}${stage}` : stage));

  /**
   * The prompt's tokens: counted with a tokenizer when a token limit applies to the key, else
   * estimated from its length (a quarter of its characters).
   */
  async function promptTokens(
    key: KeyInfo,
    body: { chat: ChatRequest } | { embed: EmbedRequest },
  ): Promise<number> {
    if (key.countTokens) {
      const encoding = encodingOf("chat" in body ? body.chat.model : body.embed.model);
      return "chat" in body ? chatPromptTokens(body.chat, encoding) : embedPromptTokens(body.embed, encoding);
    }
    const chars =
      "chat" in body ? promptChars(body.chat) : body.embed.input.reduce((n, text) => n + text.length, 0);
    return Math.ceil(chars / 4);
  }

  function flight(
    key: KeyInfo,
    body: { chat: ChatRequest } | { embed: EmbedRequest },
    stream: boolean,
    opts: CallOptions,
    promptTokens: number,
  ): Flight {
    const started = opts.workStartedNs ?? process.hrtime.bigint();
    const timeout = Math.min(opts.timeoutMs ?? deps.defaultTimeoutMs, deps.maxTimeoutMs);
    const now = Date.now();
    const env = newEnvelope({
      requestId: opts.requestId ?? randomUUID(),
      tenantId: key.tenantId,
      teamId: key.teamId,
      keyId: key.id,
      deadlineUnixMs: BigInt(now + timeout),
      itinerary,
      trace: opts.traceparent ? create(TraceContextSchema, { traceparent: opts.traceparent }) : undefined,
      kind: "chat" in body ? RequestKind.CHAT : RequestKind.EMBED,
      model: "chat" in body ? body.chat.model : body.embed.model,
      stream,
      estimatedPromptTokens: promptTokens,
      promptCacheWrite: "chat" in body ? promptCacheWriteOf(body.chat) : undefined,
      outputCapTokens: "chat" in body ? (body.chat.maxTokens ?? deps.defaultOutputTokens) : 0,
      receivedUnixMs: BigInt(now),
      routeHints:
        "chat" in body
          ? routeHintsOf(body.chat, opts.metadata)
          : create(RouteHintsSchema, { endUser: body.embed.user }),
      origin: create(OriginSchema, { door: opts.door, batchId: opts.batchId, chainId: opts.chainId }),
    });
    recordTiming(env, "ingress", deps.instance, started);
    return Flight.fromBody(env, body);
  }

  function failOnError<T>(
    reply: Awaited<ReturnType<PipelineClient["unary"]>>,
    pick: (r: typeof reply) => T | undefined,
  ): T {
    deps.onTimings(reply.timings);
    if (reply.result.case === "error")
      throw GatewayError.fromInfo(reply.result.value, {
        ...rateLimitHeaders(reply.admission),
        ...guardHeader(reply.guard),
        ...servedHeaders(reply.outcome?.deployment, reply.outcome?.attempts),
      });
    const value = pick(reply);
    if (value === undefined)
      throw new GatewayError("internal", "the pipeline answered with the wrong kind of result");
    return value;
  }

  async function unary<T>(
    f: Flight,
    opts: CallOptions,
    pick: (r: Reply) => T | undefined,
  ): Promise<Answer<T>> {
    const reply = await deps.client.unary(f, opts.signal, opts.onEntered);
    const served = servedHeaders(reply.outcome?.deployment, reply.outcome?.attempts);
    return {
      value: failOnError(reply, pick),
      requestId: f.env.requestId,
      timings: reply.timings,
      headers: {
        ...rateLimitHeaders(reply.admission),
        ...guardHeader(reply.guard, reply.outcome?.guardOutput),
        ...served,
      },
      trailers: served,
      costNanoUsd: reply.outcome?.costNanoUsd ?? 0n,
    };
  }

  return {
    authenticate: (presented, seen) => deps.keys.authenticate(presented, seen),
    authorizeScope: (key, scope) => deps.keys.authorizeScope(key, scope),

    newRequestId(requested) {
      if (requested === undefined || requested === "") return randomUUID();
      if (!REQUEST_ID.test(requested)) {
        throw new GatewayError("invalid_argument", "x-request-id must be 1-128 letters, digits, - or _", {
          field: "x-request-id",
        });
      }
      return requested;
    },

    async chat(key, req, opts) {
      deps.keys.authorizeScope(key, "chat");
      checkChatRequest(req);
      checkModel(key, req.model);
      const f = flight(key, { chat: req }, false, opts, await promptTokens(key, { chat: req }));
      return unary(f, opts, (r) => (r.result.case === "chat" ? r.result.value : undefined));
    },

    async countTokens(key, req) {
      deps.keys.authorizeScope(key, "chat");
      checkChatRequest(req);
      checkModel(key, req.model);
      return chatPromptTokens(req, encodingOf(req.model));
    },

    async *chatStream(key, req, opts) {
      deps.keys.authorizeScope(key, "chat");
      checkChatRequest(req);
      checkModel(key, req.model);
      const f = flight(key, { chat: req }, true, opts, await promptTokens(key, { chat: req }));
      for await (const event of deps.client.stream(f, opts.signal, opts.onEntered)) {
        if (event.type === "reply") {
          failOnError(event.reply, () => undefined);
          throw new GatewayError("internal", "the pipeline answered a stream with a unary reply");
        }
        const { frame } = event;
        const kind = frame.kind;
        switch (kind.case) {
          case "chunk":
            yield {
              type: "chunk",
              chunk: kind.value,
              timings: frame.timings,
              // Only the first chunk's reach the client, as the answer's headers.
              headers:
                frame.seq === 0n
                  ? {
                      ...rateLimitHeaders(frame.admission),
                      ...guardHeader(frame.guard),
                      ...servedHeaders(kind.value.deployment, frame.attempts),
                    }
                  : NO_HEADERS,
            };
            break;
          case "done":
            deps.onTimings(kind.value.timings);
            yield {
              type: "done",
              done: kind.value,
              trailers: servedHeaders(frame.outcome?.deployment, frame.outcome?.attempts),
            };
            return;
          case "error":
            throw GatewayError.fromInfo(kind.value);
          default:
            throw new GatewayError("internal", "empty stream frame");
        }
      }
      throw new GatewayError("upstream_error", "the stream ended without a terminal frame");
    },

    async embed(key, req, opts) {
      deps.keys.authorizeScope(key, "embeddings");
      checkEmbedRequest(req);
      checkModel(key, req.model);
      const f = flight(key, { embed: req }, false, opts, await promptTokens(key, { embed: req }));
      return unary(f, opts, (r) => (r.result.case === "embed" ? r.result.value : undefined));
    },

    models(key) {
      return [...deps.catalog.values()]
        .filter((m) => modelAllowed(key.models, m.alias))
        .map((m) => ({ id: m.alias, kind: m.kind }));
    },

    model(key, id) {
      checkModel(key, id);
      const entry = deps.catalog.get(id)!;
      return { id: entry.alias, kind: entry.kind };
    },
  };
}
