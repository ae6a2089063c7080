// The OpenAI door's calls: /v1/chat/completions (JSON and SSE) and /v1/embeddings, answered in
// OpenAI's shapes.
import { sendJson } from "@switchyard/common";
import type { GatewayError } from "@switchyard/common";
import { answerHeaders, streamHeaders, type DoorCall } from "./door-call.js";
import { parseChatBody, parseEmbedBody } from "./openai-request.js";
import { chatChunkJson, chatResponseJson, embedResponseJson, usageJson } from "./openai-response.js";
import { sseData, streamAnswer, type SseEncoder } from "./sse-stream.js";

export async function openaiEmbeddings(d: DoorCall): Promise<string> {
  const embed = parseEmbedBody(d.body);
  const answer = await d.gateway.embed(d.key, embed, d.call);
  sendJson(
    d.res,
    200,
    embedResponseJson(answer.value, embed.model, embed.encodingFormat),
    answerHeaders(d.requestId, answer.timings, answer.value, answer.headers),
  );
  return "embeddings";
}

export async function openaiChat(d: DoorCall): Promise<string> {
  const { request, stream } = parseChatBody(d.body);
  if (!stream) {
    const answer = await d.gateway.chat(d.key, request, d.call);
    sendJson(
      d.res,
      200,
      chatResponseJson(answer.value, request.model),
      answerHeaders(d.requestId, answer.timings, answer.value, answer.headers),
    );
    return "chat";
  }
  const alias = request.model;
  const encoder: SseEncoder = {
    chunk: (c) => sseData(chatChunkJson(c, alias)),
    done: (done) =>
      (request.includeUsage
        ? sseData({
            id: "",
            object: "chat.completion.chunk",
            created: Math.floor(Date.now() / 1000),
            model: alias,
            choices: [],
            usage: usageJson(done.usage),
          })
        : "") + "data: [DONE]\n\n",
    // After the first byte the only honest signal is an explicit error event, never [DONE].
    error: (err: GatewayError) => sseData(err.toOpenAI()),
  };
  await streamAnswer({
    res: d.res,
    items: d.gateway.chatStream(d.key, request, d.call),
    encoder,
    requestId: d.requestId,
    log: d.log,
    headers: streamHeaders(d.requestId),
  });
  return "chat_stream";
}
