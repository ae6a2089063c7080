// The OpenAI Batches API over HTTP (/v1/batches): create, retrieve, list and cancel, in
// OpenAI's shapes so the official SDKs work unchanged. The work is batch-service.ts's.
import { GatewayError, batchJson, sendJson } from "@switchyard/common";
import type { BatchService, BatchView } from "./batch-service.js";
import { BATCH_LIST_LIMIT } from "./batch-service.js";
import type { HttpApi } from "./http-api.js";
import { parseJsonBody, readBody } from "./http-body.js";

const BODY_LIMIT = 64 * 1024;

const json = (v: BatchView): object => batchJson(v.record, v.counts, v.usage);

export function createBatchesApi(service: BatchService): HttpApi {
  return {
    owns: (path) => path === "/v1/batches" || path.startsWith("/v1/batches/"),
    async handle(call) {
      const parts = call.path.split("/").slice(3); // "", "v1", "batches", ...
      const id = parts[0];
      const headers = { "x-request-id": call.requestId };
      if (id === undefined && call.method === "POST") {
        const body = parseJsonBody(await readBody(call.req, BODY_LIMIT));
        if (typeof body !== "object" || body === null || Array.isArray(body))
          throw new GatewayError("invalid_argument", "the request body must be a JSON object");
        const b = body as Record<string, unknown>;
        const params = {
          inputFileId: b.input_file_id,
          endpoint: b.endpoint,
          completionWindow: b.completion_window,
          metadata: b.metadata,
        };
        sendJson(call.res, 200, json(await service.create(call.key, params)), headers);
        return "batches.create";
      }
      if (id === undefined && call.method === "GET") {
        const raw = call.url.searchParams.get("limit");
        const limit = raw === null ? BATCH_LIST_LIMIT.default : Number(raw);
        const after = call.url.searchParams.get("after") ?? undefined;
        const page = await service.list(call.key, { after, limit });
        const data = page.data.map(json);
        const ids = page.data.map((v) => v.record.id);
        const list = {
          object: "list",
          data,
          first_id: ids[0] ?? null,
          last_id: ids.at(-1) ?? null,
          has_more: page.hasMore,
        };
        sendJson(call.res, 200, list, headers);
        return "batches.list";
      }
      if (id !== undefined && parts.length === 1 && call.method === "GET") {
        sendJson(call.res, 200, json(await service.get(call.key, id)), headers);
        return "batches.retrieve";
      }
      if (id !== undefined && parts.length === 2 && parts[1] === "cancel" && call.method === "POST") {
        sendJson(call.res, 200, json(await service.cancel(call.key, id)), headers);
        return "batches.cancel";
      }
      throw new GatewayError("not_found", `no route for ${call.method} ${call.path}`);
    },
  };
}
