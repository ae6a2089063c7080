// Stored responses over HTTP: `GET /v1/responses/{id}` (the Response as it was answered) and
// `DELETE /v1/responses/{id}`. Only responses made with store: true through the Responses door
// are there, for as long as the store keeps them; another tenant's id is a 404 like a missing one.
import { GatewayError, modelAllowed, sendJson, type ResponseStore } from "@switchyard/common";
import type { Gateway } from "./gateway.js";
import type { HttpApi } from "./http-api.js";

/**
 * A stored response is the key's to read or delete when it is its tenant's, the key may chat,
 * and the key may use the model the response came from; otherwise it is not found.
 */
export function createResponsesApi(store: ResponseStore, gateway: Pick<Gateway, "authorizeScope">): HttpApi {
  return {
    owns: (path) => path.startsWith("/v1/responses/"),
    async handle(call) {
      const parts = call.path.split("/").slice(3); // "", "v1", "responses", ...
      const headers = { "x-request-id": call.requestId };
      const id = parts[0] ?? "";
      gateway.authorizeScope(call.key, "chat");
      const visible = async (): Promise<boolean> => {
        const stored = await store.get(call.key.tenantId, id);
        return stored !== undefined && modelAllowed(call.key.models, String(stored.response["model"]));
      };
      const missing = (): GatewayError =>
        new GatewayError("not_found", `no stored response with id ${JSON.stringify(id)}`, { field: "id" });
      if (parts.length === 1 && call.method === "GET") {
        const stored = await store.get(call.key.tenantId, id);
        if (stored === undefined || !modelAllowed(call.key.models, String(stored.response["model"])))
          throw missing();
        sendJson(call.res, 200, stored.response, headers);
        return "responses.get";
      }
      if (parts.length === 1 && call.method === "DELETE") {
        if (!(await visible()) || !(await store.delete(call.key.tenantId, id))) throw missing();
        sendJson(call.res, 200, { id, object: "response", deleted: true }, headers);
        return "responses.delete";
      }
      throw new GatewayError("not_found", `no route for ${call.method} ${call.path}`);
    },
  };
}
