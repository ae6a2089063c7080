// OpenAI's Responses API as a door: POST /v1/responses (JSON and SSE with the Responses event
// types). The body becomes the canonical request and goes down the same pipeline as any other,
// to whichever deployment the model alias names; the answer comes back as a Response object.
// With `store` (OpenAI's default) and a response store, the answer is kept for
// previous_response_id, item_reference, GET and DELETE (responses-api.ts); without one the door is
// stateless and refuses those by name. The wire mapping is in responses/; errors are OpenAI's
// error JSON, as on the chat door.
import { create } from "@bufbuild/protobuf";
import { modelAllowed, sendJson, type ResponseStore } from "@switchyard/common";
import { UsageSchema } from "@switchyard/proto";
import { answerHeaders, streamHeaders, type DoorCall } from "./door-call.js";
import { parseResponsesBody } from "./responses/responses-request.js";
import { responseJson, type ResponseContext } from "./responses/responses-response.js";
import { ResponsesStreamEncoder } from "./responses/responses-stream.js";
import { withStoredInput } from "./responses/stored-input.js";
import { sseEvents, streamAnswer } from "./sse-stream.js";
import type { SseEvent } from "./sse-event.js";

export async function responsesCreate(
  d: DoorCall,
  store: ResponseStore | undefined,
  maxBodyBytes: number,
): Promise<string> {
  // Nothing stored is read for a key that may not chat (the gateway checks again on the call).
  d.gateway.authorizeScope(d.key, "chat");
  const stored =
    store === undefined
      ? undefined
      : await withStoredInput(d.body, d.key.tenantId, store, maxBodyBytes, (model) =>
          modelAllowed(d.key.models, model),
        );
  const { request, stream, echo } = parseResponsesBody(stored?.body ?? d.body);
  if (store === undefined) echo.store = false;
  const ctx: ResponseContext = {
    id: d.requestId,
    alias: request.model,
    createdAt: Math.floor(Date.now() / 1000),
    echo,
  };
  /**
   * Kept once answered, off the answer's path: a failed save is logged, never the client's error
   * (a later reference to it is a 404 that says it may not have been kept).
   */
  const keep = (response: Record<string, unknown>): void => {
    if (store === undefined || !echo.store || stored === undefined) return;
    const output = Array.isArray(response["output"]) ? (response["output"] as unknown[]) : [];
    store
      .save(d.key.tenantId, { response, conversation: [...stored.input, ...output] })
      .catch((err: unknown) => d.log.warn({ err, requestId: d.requestId }, "a response could not be stored"));
  };
  if (!stream) {
    const answer = await d.gateway.chat(d.key, request, d.call);
    const response = responseJson(answer.value, ctx);
    keep(response);
    sendJson(d.res, 200, response, answerHeaders(d.requestId, answer.timings, answer.value, answer.headers));
    return "responses";
  }
  const encoder = new ResponsesStreamEncoder(ctx);
  let started = false;
  // response.created and response.in_progress go out with the first chunk, not before: a request
  // that fails before its first byte gets a plain HTTP error.
  const opening = (): string => (started ? "" : ((started = true), sseEvents(encoder.start())));
  const ending = (events: SseEvent[]): string => {
    const final = events.at(-1)?.data["response"];
    if (typeof final === "object" && final !== null) keep(final as Record<string, unknown>);
    return sseEvents(events);
  };
  await streamAnswer({
    res: d.res,
    items: d.gateway.chatStream(d.key, request, d.call),
    encoder: {
      chunk: (c) => opening() + sseEvents(encoder.chunk(c)),
      done: (done) => opening() + ending(encoder.done(done.usage ?? create(UsageSchema))),
      error: (err) => opening() + sseEvents(encoder.error(err)),
    },
    requestId: d.requestId,
    log: d.log,
    headers: streamHeaders(d.requestId),
  });
  return "responses_stream";
}
