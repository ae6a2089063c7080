// Resolves what a Responses call points at in the store, so the parser sees a self-contained
// body: `previous_response_id` (that response's whole conversation goes before the new input, as
// OpenAI does; its instructions do not carry over) and `item_reference` items (each replaced by
// the stored item). A reference the store does not have — never made, another tenant's, expired,
// deleted — is a 404 naming the field. Anything malformed is left for the parser to name.
// Bounded: at most MAX_REFERENCES references, each distinct id looked up once, and the body they
// make no larger than the door's body limit (a small body must not become a huge one).
import { GatewayError, type ResponseStore } from "@switchyard/common";

type Json = Record<string, unknown>;

export const MAX_REFERENCES = 256;

/** A response saved just before its answer left may still be on its way to the store. */
const MISS_RETRIES = 5;
const MISS_WAIT_MS = 50;

/** Finds every key, looking again (all the missing at once) while some are missing. */
async function lookUpAll<T>(
  keys: string[],
  find: (key: string) => Promise<T | undefined>,
): Promise<Map<string, T>> {
  const found = new Map<string, T>();
  let missing = keys;
  for (let round = 0; ; round++) {
    const got = await Promise.all(missing.map(find));
    missing.forEach((k, i) => {
      const v = got[i];
      if (v !== undefined) found.set(k, v);
    });
    missing = missing.filter((k) => !found.has(k));
    if (missing.length === 0 || round >= MISS_RETRIES) return found;
    await new Promise((resolve) => setTimeout(resolve, MISS_WAIT_MS));
  }
}

const notFound = (field: string, what: string): GatewayError =>
  new GatewayError(
    "not_found",
    `${field}: ${what} was not found (it may have expired, been deleted, or been made with store: false)`,
    { field },
  );

export interface StoredInput {
  /** The body with the references resolved. */
  body: unknown;
  /** Its input as items (a string input as one user message), to be kept with the answer. */
  input: unknown[];
}

const isReference = (it: unknown): it is { type: "item_reference"; id: string } =>
  typeof it === "object" &&
  it !== null &&
  (it as Json)["type"] === "item_reference" &&
  typeof (it as Json)["id"] === "string";

export async function withStoredInput(
  body: unknown,
  tenantId: string,
  store: ResponseStore,
  maxBytes: number,
  /** Whether the caller may use the model a stored response or item came from (else not found). */
  modelAllowed: (model: string) => boolean,
): Promise<StoredInput> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { body, input: [] };
  const b = body as Json;
  let input: unknown[] =
    typeof b["input"] === "string"
      ? [{ type: "message", role: "user", content: b["input"] }]
      : Array.isArray(b["input"])
        ? b["input"]
        : [];
  const references = input.filter(isReference);
  if (references.length > MAX_REFERENCES)
    throw new GatewayError("invalid_argument", `input: at most ${MAX_REFERENCES} item_reference items`, {
      field: "input",
    });
  if (references.length > 0) {
    const ids = [...new Set(references.map((r) => r.id))];
    const items = await lookUpAll(ids, (id) => store.item(tenantId, id));
    input = input.map((it, i) => {
      if (!isReference(it)) return it;
      const kept = items.get(it.id);
      if (kept === undefined || (kept.model !== undefined && !modelAllowed(kept.model)))
        throw notFound(`input[${i}]`, `the item ${JSON.stringify(it.id)}`);
      return kept.item;
    });
  }
  const previousId = b["previous_response_id"];
  if (typeof previousId === "string") {
    const previous = (await lookUpAll([previousId], (id) => store.get(tenantId, id))).get(previousId);
    if (previous === undefined || !modelAllowed(String(previous.response["model"])))
      throw notFound("previous_response_id", `the response ${JSON.stringify(previousId)}`);
    input = [...previous.conversation, ...input];
  }
  if (typeof previousId !== "string" && references.length === 0) return { body, input };
  if (Buffer.byteLength(JSON.stringify(input)) > maxBytes)
    throw new GatewayError(
      "payload_too_large",
      `the conversation with what previous_response_id and item_reference bring is larger than the limit of ${maxBytes} bytes`,
      { field: typeof previousId === "string" ? "previous_response_id" : "input" },
    );
  return { body: { ...b, input, previous_response_id: undefined }, input };
}
