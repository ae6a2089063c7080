// Resolves what a Responses call points at in the store, so the parser sees a self-contained
// body: `previous_response_id` (that response's whole conversation goes before the new input, as
// OpenAI does; its instructions do not carry over) and `item_reference` items (each replaced by
// the stored item). A reference the store does not have — never made, another tenant's, expired,
// deleted — is a 404 naming the field. Anything malformed is left for the parser to name.
import { GatewayError, type ResponseStore } from "@switchyard/common";

type Json = Record<string, unknown>;

/** A response saved just before its answer left may still be on its way to the store. */
const MISS_RETRIES = 5;
const MISS_WAIT_MS = 50;

async function lookUp<T>(find: () => Promise<T | undefined>): Promise<T | undefined> {
  for (let i = 0; ; i++) {
    const found = await find();
    if (found !== undefined || i >= MISS_RETRIES) return found;
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

export async function withStoredInput(
  body: unknown,
  tenantId: string,
  store: ResponseStore,
): Promise<StoredInput> {
  if (typeof body !== "object" || body === null || Array.isArray(body)) return { body, input: [] };
  const b = body as Json;
  let input: unknown[] =
    typeof b["input"] === "string"
      ? [{ type: "message", role: "user", content: b["input"] }]
      : Array.isArray(b["input"])
        ? b["input"]
        : [];
  input = await Promise.all(
    input.map(async (it, i) => {
      const ref = it as Json;
      if (typeof it !== "object" || it === null || ref["type"] !== "item_reference") return it;
      if (typeof ref["id"] !== "string") return it;
      const item = await lookUp(() => store.item(tenantId, ref["id"] as string));
      if (item === undefined) throw notFound(`input[${i}]`, `the item ${JSON.stringify(ref["id"])}`);
      return item;
    }),
  );
  const previousId = b["previous_response_id"];
  if (typeof previousId === "string") {
    const previous = await lookUp(() => store.get(tenantId, previousId));
    if (previous === undefined)
      throw notFound("previous_response_id", `the response ${JSON.stringify(previousId)}`);
    input = [...previous.conversation, ...input];
  }
  if (typeof previousId !== "string" && !Array.isArray(b["input"])) return { body, input };
  return { body: { ...b, input, previous_response_id: undefined }, input };
}
