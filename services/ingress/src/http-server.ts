// The HTTP door: OpenAI's API (/v1/chat/completions JSON and SSE, /v1/embeddings, /v1/models),
// Anthropic's Messages API (/v1/messages, /v1/messages/count_tokens, and /v1/models in its shape
// when asked with anthropic-version), OpenAI's Responses API (/v1/responses), and the files,
// batches and chains APIs. Errors use the door's own error JSON with the matching status.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { GatewayError, listen, sendJson, type Logger, type ResponseStore } from "@switchyard/common";
import { RequestKind } from "@switchyard/proto";
import { Counter, type Registry } from "prom-client";
import { anthropicCountTokens, anthropicMessages } from "./anthropic-door.js";
import { anthropicError } from "./anthropic/anthropic-errors.js";
import { anthropicModelJson, anthropicModelList } from "./anthropic/anthropic-models.js";
import { headerOf as header, type DoorCall } from "./door-call.js";
import type { CallOptions, Gateway } from "./gateway.js";
import type { HttpApi } from "./http-api.js";
import { parseJsonBody, readBody } from "./http-body.js";
import { keyFromHeaders } from "./keys.js";
import { openaiChat, openaiEmbeddings } from "./openai-door.js";
import { parseMetadataHeader } from "./route-hints.js";
import { doorRequest, noteRequest, type DoorRequest, type Refusals } from "./refusals.js";
import { responsesCreate } from "./responses-door.js";

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
  /** Files, batches, chains, stored responses: answered by their own modules after the key is checked. */
  apis?: readonly HttpApi[];
  /** Where the Responses door keeps responses made with store: true; without one it is stateless. */
  responseStore?: ResponseStore;
}

export interface HttpDoor {
  readonly port: number;
  close(): Promise<void>;
}

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

/** Which error shape a request gets: Anthropic's for its door (and models asked its way). */
type Dialect = "openai" | "anthropic";

function sendError(
  res: ServerResponse,
  err: GatewayError,
  requestId: string | undefined,
  dialect: Dialect,
): void {
  const headers: Record<string, string> = { ...err.headers };
  if (requestId !== undefined) headers["x-request-id"] = requestId;
  if (err.retryAfterMs > 0) headers["retry-after"] = String(Math.ceil(err.retryAfterMs / 1000));
  if (err.retryAfterMs > 0) headers["retry-after-ms"] = String(err.retryAfterMs);
  if (res.headersSent) return;
  if (dialect === "anthropic") {
    const { status, body } = anthropicError(err, requestId);
    if (requestId !== undefined) headers["request-id"] = requestId;
    sendJson(res, status, body, headers);
  } else sendJson(res, err.httpStatus, err.toOpenAI(), headers);
}

const openaiModelJson = (id: string) => ({ id, object: "model", created: 0, owned_by: "switchyard" });
const openaiModelList = (ids: string[]) => ({ object: "list", data: ids.map(openaiModelJson) });

export async function startHttpDoor(opts: HttpDoorOptions): Promise<HttpDoor> {
  const { gateway, log } = opts;
  const requests = new Counter({
    name: "switchyard_http_requests_total",
    help: "HTTP requests by route and status",
    labelNames: ["route", "status"],
    registers: [opts.registry],
  });

  /** The pipeline's calls by path: each door's handler and the request kind it makes. */
  const CALLS: Record<string, { kind: RequestKind; handle: (d: DoorCall) => Promise<string> }> = {
    "/v1/chat/completions": { kind: RequestKind.CHAT, handle: openaiChat },
    "/v1/embeddings": { kind: RequestKind.EMBED, handle: openaiEmbeddings },
    "/v1/messages": { kind: RequestKind.CHAT, handle: anthropicMessages },
    "/v1/messages/count_tokens": { kind: RequestKind.CHAT, handle: anthropicCountTokens },
    "/v1/responses": {
      kind: RequestKind.CHAT,
      handle: (d) => responsesCreate(d, opts.responseStore, opts.maxBodyBytes),
    },
  };

  async function route(
    req: IncomingMessage,
    res: ServerResponse,
    ctx: { requestId?: string; dialect: Dialect },
    door: DoorRequest,
  ): Promise<string> {
    // Ingress's own work on the request, for its part of the timing: from here, less the time
    // spent waiting for the body to arrive.
    let workStartedNs = process.hrtime.bigint();
    const url = new URL(req.url ?? "/", "http://x");
    const path = url.pathname.replace(/\/+$/, "");
    const method = req.method ?? "GET";
    const isModels = path === "/v1/models" || path.startsWith("/v1/models/");
    // Anthropic's clients get Anthropic's error shape from the first refusal on (even a bad key).
    if (path.startsWith("/v1/messages") || (isModels && header(req, "anthropic-version") !== undefined))
      ctx.dialect = "anthropic";
    door.presentedKey = keyFromHeaders(header(req, "authorization"), header(req, "x-api-key"));
    const api = opts.apis?.find((a) => a.owns(path));
    if (api !== undefined) {
      const key = await gateway.authenticate(door.presentedKey, (k) => (door.key = k));
      const requestId = gateway.newRequestId(header(req, "x-request-id"));
      ctx.requestId = requestId;
      return api.handle({ req, res, key, method, path, url, requestId });
    }
    const target = Object.hasOwn(CALLS, path) ? CALLS[path] : undefined;
    if (target === undefined && !isModels)
      throw new GatewayError("not_found", `no route for ${method} ${url.pathname}`);
    if (target !== undefined) door.kind = target.kind;
    const wantPost = target !== undefined;
    if (method !== (wantPost ? "POST" : "GET")) {
      throw new GatewayError(
        "invalid_argument",
        `${url.pathname} takes ${wantPost ? "POST" : "GET"}, not ${method}`,
      );
    }
    const key = await gateway.authenticate(door.presentedKey, (k) => (door.key = k));
    const requestId = gateway.newRequestId(header(req, "x-request-id"));
    ctx.requestId = requestId;

    if (target === undefined) {
      const anthropic = ctx.dialect === "anthropic";
      const headers: Record<string, string> = { "x-request-id": requestId };
      if (anthropic) headers["request-id"] = requestId;
      if (path === "/v1/models") {
        const ids = gateway.models(key).map((m) => m.id);
        sendJson(res, 200, anthropic ? anthropicModelList(ids) : openaiModelList(ids), headers);
        return "models";
      }
      const id = pathParam(path.slice("/v1/models/".length));
      noteRequest(door, { model: id });
      const m = gateway.model(key, id);
      sendJson(res, 200, anthropic ? anthropicModelJson(m.id) : openaiModelJson(m.id), headers);
      return "model";
    }

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
    const waitStarted = process.hrtime.bigint();
    const raw = await readBody(req, opts.maxBodyBytes);
    workStartedNs += process.hrtime.bigint() - waitStarted;
    call.workStartedNs = workStartedNs;
    const body = parseJsonBody(raw);
    noteRequest(door, body);
    return target.handle({ gateway, key, call, requestId, req, res, body, log });
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
    const ctx: { requestId?: string; dialect: Dialect } = { dialect: "openai" };
    const door = doorRequest("http");
    route(req, res, ctx, door).then(
      (name) => requests.inc({ route: name, status: String(res.statusCode) }),
      (err: unknown) => {
        const gerr = GatewayError.from(err);
        // Refused before the pipeline: the refusal's own id (its event's) answers.
        const requestId = opts.refusals.record(door, gerr) ?? ctx.requestId;
        if (gerr.code === "internal") log.error({ err, requestId }, "request failed");
        sendError(res, gerr, requestId, ctx.dialect);
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
