// Prompt chains over HTTP: `GET /v1/chains` (what can be run), `POST /v1/chains/{name}/runs`
// (`{inputs, version?}`: starts a run), `GET /v1/chains/runs/{id}` (status, each step's output,
// usage and cost). The work is chain-service.ts's.
import { GatewayError, chainRunJson, sendJson } from "@switchyard/common";
import type { ChainService } from "./chain-service.js";
import type { HttpApi } from "./http-api.js";
import { parseJsonBody, readBody } from "./http-body.js";

const BODY_LIMIT = 512 * 1024;

export function createChainsApi(service: ChainService): HttpApi {
  return {
    owns: (path) => path === "/v1/chains" || path.startsWith("/v1/chains/"),
    async handle(call) {
      const parts = call.path.split("/").slice(3); // "", "v1", "chains", ...
      const headers = { "x-request-id": call.requestId };
      if (parts.length === 0 && call.method === "GET") {
        const data = service.list(call.key).map((c) => ({
          object: "chain",
          name: c.name,
          version: c.version,
          description: c.description ?? null,
          inputs: c.inputs,
          steps: c.steps.map((s) => s.id),
        }));
        sendJson(call.res, 200, { object: "list", data }, headers);
        return "chains.list";
      }
      if (parts.length === 2 && parts[0] === "runs" && call.method === "GET") {
        sendJson(call.res, 200, chainRunJson(await service.get(call.key, parts[1]!)), headers);
        return "chains.run";
      }
      if (parts.length === 2 && parts[1] === "runs" && call.method === "POST") {
        const body = parseJsonBody(await readBody(call.req, BODY_LIMIT));
        if (typeof body !== "object" || body === null || Array.isArray(body))
          throw new GatewayError("invalid_argument", "the request body must be a JSON object");
        const { inputs, version } = body as Record<string, unknown>;
        sendJson(
          call.res,
          200,
          chainRunJson(await service.start(call.key, parts[0]!, { inputs, version })),
          headers,
        );
        return "chains.start";
      }
      throw new GatewayError("not_found", `no route for ${call.method} ${call.path}`);
    },
  };
}
