// Stored responses over HTTP: `GET /v1/responses/{id}` (the Response as it was answered) and
// `DELETE /v1/responses/{id}`. Only responses made with store: true through the Responses door
// are there, for as long as the store keeps them; another tenant's id is a 404 like a missing one.
import { GatewayError, sendJson, type ResponseStore } from "@switchyard/common";
import type { HttpApi } from "./http-api.js";

export function createResponsesApi(store: ResponseStore): HttpApi {
  return {
    owns: (path) => path.startsWith("/v1/responses/"),
    async handle(call) {
      const parts = call.path.split("/").slice(3); // "", "v1", "responses", ...
      const headers = { "x-request-id": call.requestId };
      const id = parts[0] ?? "";
      const missing = (): GatewayError =>
        new GatewayError("not_found", `no stored response with id ${JSON.stringify(id)}`, { field: "id" });
      if (parts.length === 1 && call.method === "GET") {
        const stored = await store.get(call.key.tenantId, id);
        if (stored === undefined) throw missing();
        sendJson(call.res, 200, stored.response, headers);
        return "responses.get";
      }
      if (parts.length === 1 && call.method === "DELETE") {
        if (!(await store.delete(call.key.tenantId, id))) throw missing();
        sendJson(call.res, 200, { id, object: "response", deleted: true }, headers);
        return "responses.delete";
      }
      throw new GatewayError("not_found", `no route for ${call.method} ${call.path}`);
    },
  };
}
