// OpenAI /embeddings (also Azure, Mistral and compatible servers).
import { create } from "@bufbuild/protobuf";
import { GatewayError } from "@switchyard/common";
import { EmbedResponseSchema, type EmbedRequest, type EmbedResponse, type Usage } from "@switchyard/proto";
import { arr, count, isObject, obj, str, type JsonObject } from "../shared/json.js";
import { makeUsage } from "../shared/usage.js";

export interface OpenAiEmbedOptions {
  model: string | undefined;
  /** Mistral has output_dimension, not dimensions. */
  dimensionsField: string;
  /** Whether to forward `user`. */
  user: boolean;
}

export function toOpenAiEmbedBody(req: EmbedRequest, opts: OpenAiEmbedOptions): JsonObject {
  const body: JsonObject = {};
  if (opts.model !== undefined) body["model"] = opts.model;
  body["input"] = req.input;
  if (req.dimensions !== undefined) body[opts.dimensionsField] = req.dimensions;
  // Always floats upstream: base64 is an HTTP-door presentation the ingress applies.
  body["encoding_format"] = "float";
  if (opts.user && req.user !== "") body["user"] = req.user;
  return body;
}

function vector(value: unknown, provider: string): number[] {
  if (typeof value === "string") {
    const bytes = Buffer.from(value, "base64");
    return Array.from(new Float32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.byteLength / 4)));
  }
  if (!Array.isArray(value))
    throw new GatewayError(
      "upstream_error",
      `${provider} returned an embedding that is not a list of numbers`,
    );
  return (value as unknown[]).map((n) => (typeof n === "number" ? n : 0));
}

export function parseOpenAiEmbeddings(
  provider: string,
  body: unknown,
): { response: EmbedResponse; usage: Usage } {
  if (!isObject(body))
    throw new GatewayError("upstream_error", `${provider} returned a body that is not a JSON object`, {
      retryable: false,
    });
  const u = obj(body["usage"]);
  const usage = makeUsage({
    prompt: count(u["prompt_tokens"]),
    completion: 0,
    total: count(u["total_tokens"]),
  });
  const response = create(EmbedResponseSchema, {
    model: str(body["model"]),
    usage,
    data: arr(body["data"]).map((d, i) => {
      const e = obj(d);
      return {
        index: typeof e["index"] === "number" ? count(e["index"]) : i,
        vector: vector(e["embedding"], provider),
      };
    }),
  });
  return { response, usage };
}
