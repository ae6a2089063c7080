// A batch's input file, line by line: each line must be OpenAI's `{custom_id, method, url, body}`
// with a unique custom_id, POST, the batch's endpoint, and a body that endpoint accepts (checked
// by the same parser the HTTP door uses, so a line that validates here is not refused later for
// its shape). Problems name the 1-based line and the field, as OpenAI's batch errors do.
import { GatewayError, type BatchEndpoint, type BatchProblem } from "@switchyard/common";
import { parseChatBody, parseEmbedBody } from "@switchyard/ingress/pipeline-door";

/** OpenAI's limit on the requests of one batch. */
export const MAX_BATCH_LINES = 50_000;
/** Problems reported beyond this many are only counted in the last one's message. */
export const MAX_PROBLEMS = 100;
const MAX_CUSTOM_ID = 512;

export interface BatchLine {
  /** 1-based line number in the input file. */
  line: number;
  customId: string;
  body: Record<string, unknown>;
}

export type LineCheck = { ok: BatchLine; model: string } | { problem: BatchProblem };

const problem = (line: number, code: string, message: string, param: string | null = null): LineCheck => ({
  problem: { code, message, param, line },
});

/** Checks one non-empty line of the file; `seen` holds the custom ids of the lines before it. */
export function checkLine(text: string, line: number, endpoint: BatchEndpoint, seen: Set<string>): LineCheck {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return problem(line, "invalid_json_line", `line ${line} is not valid JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value))
    return problem(line, "invalid_request", `line ${line} is not a JSON object`);
  const v = value as Record<string, unknown>;
  const customId = v.custom_id;
  if (typeof customId !== "string" || customId === "")
    return problem(line, "missing_required_parameter", `line ${line} has no custom_id`, "custom_id");
  if (customId.length > MAX_CUSTOM_ID)
    return problem(
      line,
      "invalid_request",
      `custom_id is longer than ${MAX_CUSTOM_ID} characters`,
      "custom_id",
    );
  if (seen.has(customId))
    return problem(
      line,
      "duplicate_custom_id",
      `custom_id ${JSON.stringify(customId)} is used twice`,
      "custom_id",
    );
  if (v.method !== "POST")
    return problem(
      line,
      "invalid_method",
      `method must be "POST", not ${JSON.stringify(v.method)}`,
      "method",
    );
  if (v.url !== endpoint)
    return problem(
      line,
      "invalid_url",
      `url must be the batch's endpoint ${endpoint}, not ${JSON.stringify(v.url)}`,
      "url",
    );
  const body = v.body;
  if (typeof body !== "object" || body === null || Array.isArray(body))
    return problem(line, "missing_required_parameter", `line ${line} has no body object`, "body");
  let model: string;
  try {
    if (endpoint === "/v1/embeddings") model = parseEmbedBody(body).model;
    else {
      const parsed = parseChatBody(body);
      if (parsed.stream) return problem(line, "invalid_request", "a batch line cannot stream", "body.stream");
      model = parsed.request.model;
    }
  } catch (err) {
    const e = GatewayError.from(err);
    return problem(line, "invalid_request", e.message, e.field === "" ? "body" : `body.${e.field}`);
  }
  seen.add(customId);
  return { ok: { line, customId, body: body as Record<string, unknown> }, model };
}
