// The ReplySink of a stage process: answers and stream frames encoded once and published to
// the ingress inbox named in the envelope.
import { encodeFrame, encodeReply } from "./envelope.js";
import type { Logger } from "./logging.js";
import type { Publish } from "./publish-batcher.js";
import type { ReplySink } from "./stage-step.js";

export function natsReplySink(publish: Publish, log: Logger): ReplySink {
  const send = (subject: string, data: Uint8Array, requestId: string): void => {
    if (subject === "") return;
    try {
      publish(subject, data);
    } catch (err) {
      log.warn({ err, requestId }, "could not publish to the ingress inbox");
    }
  };
  return {
    reply: (env, reply) => send(env.replySubject, encodeReply(reply), env.requestId),
    frame: (env, frame) => send(env.streamSubject, encodeFrame(frame), env.requestId),
  };
}
