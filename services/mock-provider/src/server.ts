// The MOCK provider's HTTP server: routing by provider prefix, controls, recording, pacing of
// streams (latency, ttft, gap, cut, hang). What goes on the wire is decided in protocols/.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { countTokens, DEFAULT_DIMS, embedding, planReply, promptTokens } from "./content.js";
import { contextRefusal } from "./context-window.js";
import { findDirective, findMarker, mergeControls, parseControls, splitControlPath } from "./controls.js";
import { answerDelayMs } from "./delay.js";
import { headerValue, isMockModel, jsonReply } from "./http-reply.js";
import { ControlProfiles, profileRequest } from "./profiles.js";
import { createProtocols } from "./protocols/index.js";
import { RequestRecorder } from "./recorder.js";
import type { AwsCredentials } from "./sigv4.js";
import type { HttpReply, MockControls, MockRequestRecord, Protocol, ProviderId } from "./types.js";

export interface MockServerOptions {
  defaults?: Partial<MockControls>;
  region?: string;
  credentials?: AwsCredentials;
}

export interface MockServer {
  server: Server;
  recorder: RequestRecorder;
}

const PROVIDERS = new Set<ProviderId>([
  "openai",
  "azure",
  "anthropic",
  "gemini",
  "bedrock",
  "mistral",
  "compat",
]);

/** Resolves after `ms`, or at once when `signal` aborts. */
function wait(ms: number, signal: AbortSignal): Promise<void> {
  if (ms <= 0 || signal.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/** The most dimensions the mock's embedding models have (OpenAI's largest: 3072). */
const MAX_DIMS = 3072;

/** How much of each request body the recorder keeps. */
const KEEP_BODY_CHARS = 2 * 1024 * 1024;

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}

function send(res: ServerResponse, reply: HttpReply, extra: Record<string, string> = {}): void {
  if (res.destroyed) return;
  res.writeHead(reply.status, { ...reply.headers, ...extra });
  res.end(reply.body);
}

/** Headers that carry a credential: never kept in the record. */
const SECRET_HEADERS = new Set(["authorization", "x-api-key", "x-goog-api-key", "api-key"]);

function recordedHeaders(headers: IncomingMessage["headers"]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !SECRET_HEADERS.has(name))
      out[name] = Array.isArray(value) ? value.join(", ") : value;
  return out;
}

export function createMockServer(opts: MockServerOptions = {}): MockServer {
  const recorder = new RequestRecorder(1000);
  const protocols = createProtocols({
    region: opts.region ?? "us-east-1",
    credentials: opts.credentials ?? { accessKeyId: "MOCKAKIDEXAMPLE", secretAccessKey: "mock-secret-key" },
  });
  const failCounts = new Map<string, number>();
  const defaults: MockControls = { ...opts.defaults };
  const profiles = new ControlProfiles();

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    res.setHeader("x-mock-provider", "true");
    const rawUrl = req.url ?? "/";
    const q = rawUrl.indexOf("?");
    const rawPath = q < 0 ? rawUrl : rawUrl.slice(0, q);
    const query = new URLSearchParams(q < 0 ? "" : rawUrl.slice(q + 1));
    const method = req.method ?? "GET";

    if (rawPath === "/healthz") return send(res, jsonReply(200, { status: "ok", mock: true }));
    if (rawPath === "/_mock/requests") {
      if (method === "DELETE") {
        recorder.clear();
        res.writeHead(204).end();
        return;
      }
      return send(res, jsonReply(200, recorder.list({ marker: query.get("marker") ?? undefined })));
    }
    const profileName = /^\/_mock\/profiles\/([^/]+)$/.exec(rawPath)?.[1];
    if (profileName !== undefined) {
      const text = method === "PUT" ? (await readBody(req)).toString("utf8") : "";
      return send(res, profileRequest(profiles, method, profileName, text));
    }

    const split = splitControlPath(rawPath);
    const prefix = /^\/([a-z]+)(\/.*)$/.exec(split.path);
    const provider = prefix?.[1] as ProviderId | undefined;
    const protocol: Protocol | undefined =
      provider && PROVIDERS.has(provider) ? protocols.byPrefix[provider] : undefined;

    const record = recorder.start({
      provider: protocol?.provider ?? "unknown",
      path: rawPath,
      model: undefined,
      stream: false,
      controls: {},
      marker: undefined,
      requestId: headerValue(req.headers, "x-request-id"),
      headers: recordedHeaders(req.headers),
      body: "",
      bodyBytes: 0,
    });
    const closed = new AbortController();
    res.on("finish", () => {
      record.status = res.statusCode;
      if (record.outcome === "in_flight") record.outcome = res.statusCode >= 400 ? "error" : "completed";
    });
    res.on("close", () => {
      closed.abort();
      if (!res.writableFinished && record.outcome === "in_flight") {
        record.outcome = "client_closed";
        record.status = res.headersSent ? res.statusCode : undefined;
      }
    });

    if (!protocol || !prefix?.[2]) {
      return send(
        res,
        jsonReply(404, { error: { message: `No mock route for ${method} ${rawPath}`, type: "not_found" } }),
      );
    }
    const op = protocol.match(method, prefix[2], query);
    if (!op) return send(res, protocol.error(404, `No mock route for ${method} ${prefix[2]}`));

    const body = await readBody(req);
    if (closed.signal.aborted) return;
    const bodyText = body.toString("utf8");
    record.body = bodyText.length <= KEEP_BODY_CHARS ? bodyText : bodyText.slice(0, KEEP_BODY_CHARS);
    record.bodyBytes = body.length;

    const authFailure =
      protocol.provider === "bedrock"
        ? await protocols.bedrock.verify({ method, path: rawPath, query, headers: req.headers, body })
        : protocol.authenticate(req.headers, query);
    if (authFailure) return send(res, authFailure);

    let json: unknown;
    if (method === "POST") {
      try {
        json = JSON.parse(bodyText);
      } catch {
        return send(res, protocol.error(400, "The request body is not valid JSON."));
      }
    }

    // Controls from every source but the prompt; the prompt directive is added once parsed. A
    // profile's controls are read now, as they are when this request arrives.
    let controls: MockControls;
    const pathControls = (): MockControls | undefined =>
      split.profile !== undefined
        ? profiles.get(split.profile).controls
        : split.controls !== undefined
          ? parseControls(split.controls)
          : undefined;
    const headerControls = headerValue(req.headers, "x-mock-controls");
    let directive: string | undefined;
    const applyControls = (promptText: string): HttpReply | undefined => {
      directive = findDirective(promptText);
      try {
        controls = mergeControls(
          defaults,
          pathControls(),
          headerControls !== undefined ? parseControls(headerControls) : undefined,
          directive !== undefined ? parseControls(directive) : undefined,
        );
      } catch (err) {
        return protocol.error(400, `Invalid mock controls: ${(err as Error).message}`);
      }
      record.controls = controls;
      return undefined;
    };

    if (op.kind === "models" || op.kind === "model") {
      const bad = applyControls("");
      if (bad) return send(res, bad);
      if (await prelude()) return;
      if (op.kind === "model" && !isMockModel(op.model)) return send(res, protocol.unknownModel(op.model));
      return send(res, protocol.listModels(op));
    }

    if (op.kind === "embed") {
      const intent = protocol.parseEmbed?.(json, op);
      if (intent === undefined) return send(res, protocol.error(404, "Embeddings are not served here."));
      if (typeof intent === "string") return send(res, protocol.error(400, intent));
      record.model = intent.model;
      record.marker = findMarker(intent.inputs.join("\n"));
      const bad = applyControls(intent.inputs[intent.inputs.length - 1] ?? "");
      if (bad) return send(res, bad);
      if (!isMockModel(intent.model)) return send(res, protocol.unknownModel(intent.model));
      if (await prelude()) return;
      const dims = controls!.dims ?? intent.dimensions ?? DEFAULT_DIMS;
      // As the real APIs do: no embedding model has more than a few thousand dimensions.
      if (dims < 1 || dims > MAX_DIMS)
        return send(res, protocol.error(400, `dimensions must be from 1 to ${MAX_DIMS}, got ${dims}.`));
      const vectors = intent.inputs.map((t) => embedding(t, dims));
      const tokens = intent.inputs.reduce((n, t) => n + countTokens(t), 0);
      return send(res, protocol.embed!(intent, vectors, tokens));
    }

    const intent = protocol.parseChat(json, op);
    if (typeof intent === "string") return send(res, protocol.error(400, intent));
    record.model = intent.model;
    record.stream = intent.stream;
    record.marker = findMarker(intent.promptText);
    const bad = applyControls(intent.lastUserText);
    if (bad) return send(res, bad);
    if (!isMockModel(intent.model)) return send(res, protocol.unknownModel(intent.model));
    const window = controls!.context_window;
    if (window !== undefined && promptTokens(intent) > window) {
      const refusal = contextRefusal(protocol.provider, promptTokens(intent), window);
      return send(res, protocol.error(400, refusal.message, { code: refusal.code }));
    }
    if (controls!.content_filter !== undefined && controls!.content_filter > 0)
      return send(
        res,
        protocol.error(
          400,
          "The response was filtered due to the prompt triggering Azure OpenAI's content management policy.",
          { code: "content_filter" },
        ),
      );
    if (await prelude()) return;

    const c = controls!;
    const plan = planReply(protocol.provider, intent, c);
    const images = { "x-mock-images": String(intent.images) };
    if (!intent.stream) {
      const reply = protocol.chat(intent, plan);
      if (c.cut !== undefined) {
        // A non-streaming cut: headers and half the body, then the socket dies.
        record.outcome = "cut";
        record.status = reply.status;
        res.writeHead(reply.status, { ...reply.headers, ...images });
        const bytes = typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body;
        res.write(bytes.subarray(0, Math.floor(bytes.length / 2)));
        setImmediate(() => res.socket?.destroy());
        return;
      }
      return send(res, reply, images);
    }

    const stream = protocol.chatStream(intent, plan);
    res.writeHead(200, { ...stream.headers, ...images });
    res.flushHeaders();
    record.status = 200;
    const cutAfter = c.cut;
    let sentContent = 0;
    const cut = (): void => {
      record.outcome = "cut";
      res.socket?.destroy();
    };
    if (cutAfter === 0) return cut();
    await wait(c.ttft ?? 0, closed.signal);
    for (const frame of stream.frames) {
      if (closed.signal.aborted) return;
      if (frame.content && sentContent > 0) {
        await wait(c.gap ?? 0, closed.signal);
        if (closed.signal.aborted) return;
      }
      res.write(frame.data);
      if (frame.content) {
        sentContent++;
        if (cutAfter !== undefined && sentContent >= cutAfter) {
          // Let the bytes leave before the socket dies.
          await new Promise<void>((resolve) => setImmediate(resolve));
          return cut();
        }
      }
    }
    res.end();

    /** hang, latency (+ jitter), error and fail_first; true when the request has been answered (or abandoned). */
    async function prelude(): Promise<boolean> {
      const c = controls!;
      let failing = c.error !== undefined;
      if (c.fail_first !== undefined) {
        const pathKey = split.profile !== undefined ? `profile:${split.profile}` : split.controls;
        const key = `${protocol!.provider}|${headerValue(req.headers, "x-mock-key") ?? directive ?? headerControls ?? pathKey ?? ""}`;
        const seen = (failCounts.get(key) ?? 0) + 1;
        failCounts.set(key, seen);
        failing = seen <= c.fail_first;
      }
      if (c.hang !== undefined && c.hang > 0) {
        await new Promise<void>((resolve) =>
          closed.signal.addEventListener("abort", () => resolve(), { once: true }),
        );
        return true;
      }
      await wait(answerDelayMs(c), closed.signal);
      if (closed.signal.aborted) return true;
      if (failing) {
        send(res, protocol!.error(c.error ?? 503, "", { retryAfter: c.retry_after }));
        return true;
      }
      return false;
    }
  }

  const server = createServer({ keepAlive: true }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent)
        send(res, jsonReply(500, { error: { message: `mock provider bug: ${String(err)}` } }));
      else res.destroy();
    });
  });
  server.keepAliveTimeout = 65_000;
  return { server, recorder };
}

export type { MockRequestRecord };
