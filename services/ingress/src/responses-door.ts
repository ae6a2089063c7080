// OpenAI's Responses API as a door: POST /v1/responses (JSON and SSE with the Responses event
// types). The body becomes the canonical request and goes down the same pipeline as any other,
// to whichever deployment the model alias names; the answer comes back as a Response object.
// The wire mapping is in responses/; errors are OpenAI's error JSON, as on the chat door.
import { create } from "@bufbuild/protobuf";
import { sendJson } from "@switchyard/common";
import { UsageSchema } from "@switchyard/proto";
import { answerHeaders, streamHeaders, type DoorCall } from "./door-call.js";
import { parseResponsesBody } from "./responses/responses-request.js";
import { responseJson, type ResponseContext } from "./responses/responses-response.js";
import { ResponsesStreamEncoder } from "./responses/responses-stream.js";
import { sseEvents, streamAnswer } from "./sse-stream.js";

export async function responsesCreate(d: DoorCall): Promise<string> {
  const { request, stream, echo } = parseResponsesBody(d.body);
  const ctx: ResponseContext = {
    id: d.requestId,
    alias: request.model,
    createdAt: Math.floor(Date.now() / 1000),
    echo,
  };
  if (!stream) {
    const answer = await d.gateway.chat(d.key, request, d.call);
    sendJson(
      d.res,
      200,
      responseJson(answer.value, ctx),
      answerHeaders(d.requestId, answer.timings, answer.value, answer.headers),
    );
    return "responses";
  }
  const encoder = new ResponsesStreamEncoder(ctx);
  let started = false;
  // response.created and response.in_progress go out with the first chunk, not before: a request
  // that fails before its first byte gets a plain HTTP error.
  const opening = (): string => (started ? "" : ((started = true), sseEvents(encoder.start())));
  await streamAnswer({
    res: d.res,
    items: d.gateway.chatStream(d.key, request, d.call),
    encoder: {
      chunk: (c) => opening() + sseEvents(encoder.chunk(c)),
      done: (done) => opening() + sseEvents(encoder.done(done.usage ?? create(UsageSchema))),
      error: (err) => opening() + sseEvents(encoder.error(err)),
    },
    requestId: d.requestId,
    log: d.log,
    headers: streamHeaders(d.requestId),
  });
  return "responses_stream";
}
