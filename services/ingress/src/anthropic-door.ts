// Anthropic's Messages API as a door: POST /v1/messages (JSON and SSE with Anthropic's event
// sequence) and POST /v1/messages/count_tokens. The body becomes the canonical request and goes
// down the same pipeline as any other (guard, router, meter, provider, usage), to whichever
// deployment the model alias names — Anthropic, OpenAI, Gemini — and the answer comes back in
// Anthropic's shape. The wire mapping is in anthropic/; errors are shaped by the HTTP server.
import { create } from "@bufbuild/protobuf";
import { sendJson } from "@switchyard/common";
import { UsageSchema, type ChatRequest } from "@switchyard/proto";
import { parseCountTokensBody, parseMessagesBody } from "./anthropic/anthropic-request.js";
import { messageIdFor, messageJson } from "./anthropic/anthropic-response.js";
import { AnthropicStreamEncoder } from "./anthropic/anthropic-stream.js";
import { answerHeaders, headerOf, streamHeaders, type DoorCall } from "./door-call.js";
import type { StreamItem } from "./gateway.js";
import { sseEvents, streamAnswer } from "./sse-stream.js";

export async function anthropicMessages(d: DoorCall): Promise<string> {
  const { request, stream } = parseMessagesBody(d.body, {
    version: headerOf(d.req, "anthropic-version"),
    beta: headerOf(d.req, "anthropic-beta"),
  });
  const alias = request.model;
  if (!stream) {
    const answer = await d.gateway.chat(d.key, request, d.call);
    sendJson(d.res, 200, messageJson(answer.value, alias, messageIdFor(answer.value.id, d.requestId)), {
      ...answerHeaders(d.requestId, answer.timings, answer.value, answer.headers),
      "request-id": d.requestId,
    });
    return "messages";
  }
  let encoder: AnthropicStreamEncoder | undefined;
  const items = withInputEstimate(d.gateway.chatStream(d.key, request, d.call), () =>
    d.gateway.countTokens(d.key, request),
  );
  // The encoder is made on the first chunk: the message id follows the upstream's when it has one.
  const open = (id: string, estimate: number): AnthropicStreamEncoder =>
    (encoder ??= new AnthropicStreamEncoder({
      messageId: messageIdFor(id, d.requestId),
      alias,
      inputTokensEstimate: estimate,
    }));
  await streamAnswer({
    res: d.res,
    items: items.stream,
    encoder: {
      chunk: (c) => sseEvents(open(c.id, items.estimate).chunk(c)),
      done: (done) => sseEvents(open("", items.estimate).done(done.usage ?? create(UsageSchema))),
      error: (err) => sseEvents([open("", items.estimate).error(err)]),
    },
    requestId: d.requestId,
    log: d.log,
    headers: (first) => ({ ...streamHeaders(d.requestId)(first), "request-id": d.requestId }),
  });
  return "messages_stream";
}

/**
 * The stream, with the prompt's token count ready before its first chunk when that chunk does
 * not carry the upstream's own (only Anthropic upstreams report it at the start): message_start
 * must announce input tokens, and clients such as Claude Code read them there (a gateway that
 * sends zeros shows every turn as free).
 */
function withInputEstimate(
  stream: AsyncGenerator<StreamItem>,
  count: () => Promise<number>,
): { stream: AsyncGenerator<StreamItem>; readonly estimate: number } {
  const out = { estimate: 0, stream: undefined as unknown as AsyncGenerator<StreamItem> };
  out.stream = (async function* () {
    let first = true;
    try {
      for (;;) {
        const it = await stream.next();
        if (it.done) return;
        if (first && it.value.type === "chunk" && it.value.chunk.usage === undefined)
          out.estimate = await count();
        first = false;
        yield it.value;
      }
    } finally {
      await stream.return(undefined);
    }
  })();
  return out;
}

export async function anthropicCountTokens(d: DoorCall): Promise<string> {
  const request: ChatRequest = parseCountTokensBody(d.body);
  const inputTokens = await d.gateway.countTokens(d.key, request);
  sendJson(
    d.res,
    200,
    { input_tokens: inputTokens },
    { "x-request-id": d.requestId, "request-id": d.requestId },
  );
  return "count_tokens";
}
