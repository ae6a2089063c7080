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

/**
 * The chat stream's SSE text: a `data:` chat.completion.chunk per canonical chunk, then the usage
 * chunk (only when the client asked with stream_options.include_usage) and `data: [DONE]`.
 */
export function chatSseEncoder(alias: string, includeUsage: boolean): SseEncoder {
  // The usage chunk carries the stream's id and time: the openai SDK's stream helper drops a
  // chunk without an id, and the usage with it.
  let id = "";
  let created = 0;
  return {
    chunk: (c) => {
      id ||= c.id;
      created ||= Number(c.created);
      return sseData(chatChunkJson(c, alias));
    },
    done: (done) =>
      (includeUsage
        ? sseData({
            id,
            object: "chat.completion.chunk",
            created: created || Math.floor(Date.now() / 1000),
            model: alias,
            choices: [],
            usage: usageJson(done.usage),
          })
        : "") + "data: [DONE]\n\n",
    // After the first byte the only honest signal is an explicit error event, never [DONE].
    error: (err: GatewayError) => sseData(err.toOpenAI()),
  };
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
  await streamAnswer({
    res: d.res,
    items: d.gateway.chatStream(d.key, request, d.call),
    encoder: chatSseEncoder(request.model, request.includeUsage),
    requestId: d.requestId,
    log: d.log,
    headers: streamHeaders(d.requestId),
  });
  return "chat_stream";
}
