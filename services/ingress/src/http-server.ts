// The OpenAI-compatible HTTP door: /v1/chat/completions (JSON and SSE), /v1/embeddings,
// /v1/models. Errors use OpenAI's error JSON with the matching status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { GatewayError, listen, sendJson, type Logger } from "@switchyard/common";
import { RequestKind } from "@switchyard/proto";
import { Counter, type Registry } from "prom-client";
import type { CallOptions, Gateway, StreamItem } from "./gateway.js";
import type { HttpApi } from "./http-api.js";
import { parseJsonBody, readBody } from "./http-body.js";
import { keyFromHeaders } from "./keys.js";
import { parseChatBody, parseEmbedBody } from "./openai-request.js";
import { parseMetadataHeader } from "./route-hints.js";
import { chatChunkJson, chatResponseJson, embedResponseJson, usageJson } from "./openai-response.js";
import { doorRequest, noteRequest, type DoorRequest, type Refusals } from "./refusals.js";
import { timingHeader } from "./timing.js";

/** How long a client that sent too large a body may keep sending after the 413. */
const LINGER_MS = 5_000;

export interface HttpDoorOptions {
  gateway: Gateway;
  log: Logger;
  registry: Registry;
  /** Where requests refused here (before the pipeline) are recorded. */
  refusals: Refusals;
  host: string;
  port: number;
  maxBodyBytes: number;
  /** Files, batches and chains: answered by their own modules after the key is checked. */
  apis?: readonly HttpApi[];
}

export interface HttpDoor {
  readonly port: number;
  close(): Promise<void>;
}

const header = (req: IncomingMessage, name: string): string | undefined => {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
};

/** A percent-encoded path segment, decoded; 400 when it is not valid percent-encoding. */
function pathParam(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new GatewayError(
      "invalid_argument",
      `the path segment ${JSON.stringify(raw)} is not valid percent-encoding`,
    );
  }
}

function parseTimeout(raw: string | undefined): number | undefined {
  if (raw === undefined || raw === "") return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms <= 0) {
    throw new GatewayError(
      "invalid_argument",
      "x-request-timeout must be a positive whole number of milliseconds",
      {
        field: "x-request-timeout",
      },
    );
  }
  return ms;
}

/** What every answer says about itself: its id, where the time went, and who served it. */
function answerHeaders(
  requestId: string,
  timings: Parameters<typeof timingHeader>[0],
  served: { provider: string; deployment: string },
  rateLimits: Record<string, string>,
): Record<string, string> {
  return {
    ...rateLimits,
    "x-request-id": requestId,
    "x-switchyard-timing": timingHeader(timings),
    "x-switchyard-provider": served.provider,
    "x-switchyard-deployment": served.deployment,
  };
}

function sendError(res: ServerResponse, err: GatewayError, requestId: string | undefined): void {
  const headers: Record<string, string> = { ...err.headers };
  if (requestId !== undefined) headers["x-request-id"] = requestId;
  if (err.retryAfterMs > 0) headers["retry-after"] = String(Math.ceil(err.retryAfterMs / 1000));
  if (err.retryAfterMs > 0) headers["retry-after-ms"] = String(err.retryAfterMs);
  if (res.headersSent) return;
  sendJson(res, err.httpStatus, err.toOpenAI(), headers);
}

/** Resolves when the response can take more (or is gone). */
function drained(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      res.off("drain", done).off("close", done);
      resolve();
    };
    res.once("drain", done).once("close", done);
  });
}

export async function startHttpDoor(opts: HttpDoorOptions): Promise<HttpDoor> {
  const { gateway, log } = opts;
  const requests = new Counter({
    name: "switchyard_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["route", "status"],
    registers: [opts.registry],
  });

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: { requestId?: string },
    door: DoorRequest,
  ): Promise<string> {
    // Ingress's own work on the request, for its part of the timing: from here, less the time
    // spent waiting for the body to arrive.
    let workStartedNs = process.hrtime.bigint();
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname.replace(/\/+$/, "");
    const method = req.method ?? "GET";
    door.presentedKey = keyFromHeaders(header(req, "authorization"), header(req, "x-api-key"));
    const api = opts.apis?.find((a) => a.owns(path));
    if (api !== undefined) {
      const key = await gateway.authenticate(door.presentedKey, (k) => (door.key = k));
      const requestId = gateway.newRequestId(header(req, "x-request-id"));
      ctx.requestId = requestId;
      return api.handle({ req, res, key, method, path, url, requestId });
    }
    const known = ["/v1/chat/completions", "/v1/embeddings", "/v1/models"];
    if (!known.includes(path) && !path.startsWith("/v1/models/")) {
      throw new GatewayError("not_found", `no route for ${method} ${url.pathname}`);
    }
    const wantPost = path === "/v1/chat/completions" || path === "/v1/embeddings";
    if (path === "/v1/chat/completions") door.kind = RequestKind.CHAT;
    if (path === "/v1/embeddings") door.kind = RequestKind.EMBED;
    if (method !== (wantPost ? "POST" : "GET")) {
      throw new GatewayError(
        "invalid_argument",
        `${url.pathname} takes ${wantPost ? "POST" : "GET"}, not ${method}`,
      );
    }
    const key = await gateway.authenticate(door.presentedKey, (k) => (door.key = k));
    const requestId = gateway.newRequestId(header(req, "x-request-id"));
    ctx.requestId = requestId;
    const aborter = new AbortController();
    res.on("close", () => {
      if (!res.writableFinished) aborter.abort();
    });
    const call: CallOptions = {
      door: "http",
      requestId,
      timeoutMs: parseTimeout(header(req, "x-request-timeout")),
      traceparent: header(req, "traceparent"),
      metadata: parseMetadataHeader(header(req, "x-switchyard-metadata")),
      signal: aborter.signal,
      onEntered: () => (door.entered = true),
    };

    if (path === "/v1/models") {
      const data = gateway
        .models(key)
        .map((m) => ({ id: m.id, object: "model", created: 0, owned_by: "switchyard" }));
      sendJson(res, 200, { object: "list", data }, { "x-request-id": requestId });
      return "models";
    }
    if (path.startsWith("/v1/models/")) {
      const id = pathParam(path.slice("/v1/models/".length));
      noteRequest(door, { model: id });
      const m = gateway.model(key, id);
      sendJson(
        res,
        200,
        { id: m.id, object: "model", created: 0, owned_by: "switchyard" },
        { "x-request-id": requestId },
      );
      return "model";
    }
    const waitStarted = process.hrtime.bigint();
    const raw = await readBody(req, opts.maxBodyBytes);
    workStartedNs += process.hrtime.bigint() - waitStarted;
    call.workStartedNs = workStartedNs;
    const body = parseJsonBody(raw);
    noteRequest(door, body);
    if (path === "/v1/embeddings") {
      const embed = parseEmbedBody(body);
      const answer = await gateway.embed(key, embed, call);
      sendJson(
        res,
        200,
        embedResponseJson(answer.value, embed.model, embed.encodingFormat),
        answerHeaders(requestId, answer.timings, answer.value, answer.headers),
      );
      return "embeddings";
    }
    const { request, stream } = parseChatBody(body);
    if (!stream) {
      const answer = await gateway.chat(key, request, call);
      sendJson(
        res,
        200,
        chatResponseJson(answer.value, request.model),
        answerHeaders(requestId, answer.timings, answer.value, answer.headers),
      );
      return "chat";
    }
    await streamChat(
      res,
      gateway.chatStream(key, request, call),
      request.model,
      request.includeUsage,
      requestId,
    );
    return "chat_stream";
  }

  async function streamChat(
    res: ServerResponse,
    items: ReturnType<Gateway["chatStream"]>,
    alias: string,
    includeUsage: boolean,
    requestId: string,
  ): Promise<void> {
    // Nothing is written until the first item: failures before it become plain HTTP errors
    // (and the provider stage has already fallen back where it could).
    const first: IteratorResult<StreamItem> = await items.next();
    // Events written in the same tick leave in one socket write: corked until the loop's next turn.
    let corked = false;
    const write = (data: unknown): boolean => {
      if (!corked) {
        corked = true;
        res.cork();
        setImmediate(() => {
          corked = false;
          res.uncork();
        });
      }
      return res.write(`data: ${JSON.stringify(data)}\n\n`);
    };
    res.writeHead(200, {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      ...(!first.done && first.value.type === "chunk"
        ? answerHeaders(requestId, first.value.timings, first.value.chunk, first.value.headers)
        : { "x-request-id": requestId }),
    });
    res.flushHeaders();
    try {
      for (let it = first; !it.done; it = await items.next()) {
        const item = it.value;
        if (item.type === "chunk") {
          // A slow reader holds the stream back here rather than filling ingress's memory.
          if (!write(chatChunkJson(item.chunk, alias))) await drained(res);
        } else {
          if (includeUsage) {
            write({
              id: "",
              object: "chat.completion.chunk",
              created: Math.floor(Date.now() / 1000),
              model: alias,
              choices: [],
              usage: usageJson(item.done.usage),
            });
          }
          res.end("data: [DONE]\n\n");
          return;
        }
      }
      throw new GatewayError("upstream_error", "the stream ended without completing");
    } catch (err) {
      // After the first byte the only honest signal is an explicit error event, never [DONE].
      const gerr = GatewayError.from(err);
      if (!res.destroyed) {
        write(gerr.toOpenAI());
        res.end();
      }
      if (gerr.code !== "cancelled") log.warn({ requestId, code: gerr.code }, "stream ended with an error");
    } finally {
      // However the loop ended, the stream's call ends too (and writes its usage event).
      await items.return(undefined);
    }
  }

  /**
   * After answering an oversized body, the client may keep sending for a while (the rest is
   * read and dropped), so it reads the 413 rather than a reset. Once the body has ended the
   * connection stays usable like any keep-alive one; past the grace period it is closed.
   */
  function dropRestOfBody(req: IncomingMessage, res: ServerResponse): void {
    res.once("finish", () => {
      if (req.complete) return;
      const timer = setTimeout(() => req.socket.destroy(), LINGER_MS).unref();
      req.once("end", () => clearTimeout(timer));
    });
  }

  const server: Server = createServer((req, res) => {
    const ctx: { requestId?: string } = {};
    const door = doorRequest("http");
    route(req, res, ctx, door).then(
      (name) => requests.inc({ route: name, status: String(res.statusCode) }),
      (err: unknown) => {
        const gerr = GatewayError.from(err);
        // Refused before the pipeline: the refusal's own id (its event's) answers.
        const requestId = opts.refusals.record(door, gerr) ?? ctx.requestId;
        if (gerr.code === "internal") log.error({ err, requestId }, "request failed");
        sendError(res, gerr, requestId);
        requests.inc({ route: "error", status: String(gerr.httpStatus) });
        if (gerr.code === "payload_too_large") dropRestOfBody(req, res);
      },
    );
  });
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  // A 200 MB batch file from a slow client takes longer than Node's default 5 minutes.
  server.requestTimeout = 3_600_000;
  return listen(server, { host: opts.host, port: opts.port, what: "HTTP", variable: "SWITCHYARD_HTTP_PORT" });
}
