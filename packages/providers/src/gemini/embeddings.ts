// Gemini :batchEmbedContents. The API reports no token usage for embeddings.
import { create } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { EmbedResponseSchema, type EmbedRequest, type EmbedResponse, type Usage } from "@switchyard/proto";
import { arr, isObject, obj, type JsonObject } from "../shared/json.js";
import { emptyUsage } from "../shared/usage.js";

export function toGeminiEmbedBody(req: EmbedRequest, model: string): JsonObject {
  return {
    requests: req.input.map((text) => {
      const r: JsonObject = {
        model: `models/${model.replace(/^models\//, "")}`,
        content: { parts: [{ text }] },
      };
      if (req.dimensions !== undefined) r["outputDimensionality"] = req.dimensions;
      return r;
    }),
  };
}

export function parseGeminiEmbeddings(body: unknown): { response: EmbedResponse; usage: Usage } {
  if (!isObject(body))
    throw new GatewayError("upstream_error", "Gemini returned a body that is not a JSON object", {
      retryable: false,
    });
  const usage = emptyUsage();
  const response = create(EmbedResponseSchema, {
    usage,
    data: arr(body["embeddings"]).map((e, index) => ({
      index,
      vector: arr(obj(e)["values"]).map((n) => (typeof n === "number" ? n : 0)),
    })),
  });
  return { response, usage };
}
