// Binary protobuf on the wire between stages. These helpers keep encode/decode and the
// routing-slip rules in one place.
import { create, fromBinary, toBinary, type MessageInitShape } from "@bufbuild/protobuf";
import {
  EnvelopeSchema,
  ReplySchema,
  StageTimingSchema,
  StreamFrameSchema,
  type Envelope,
  type Reply,
  type StreamFrame,
} from "@switchyard/proto";

export const encodeEnvelope = (env: Envelope): Uint8Array => toBinary(EnvelopeSchema, env);
export const decodeEnvelope = (bytes: Uint8Array): Envelope => fromBinary(EnvelopeSchema, bytes);
export const encodeReply = (reply: Reply): Uint8Array => toBinary(ReplySchema, reply);
export const decodeReply = (bytes: Uint8Array): Reply => fromBinary(ReplySchema, bytes);
export const encodeFrame = (frame: StreamFrame): Uint8Array => toBinary(StreamFrameSchema, frame);
export const decodeFrame = (bytes: Uint8Array): StreamFrame => fromBinary(StreamFrameSchema, bytes);

export function newEnvelope(init: MessageInitShape<typeof EnvelopeSchema>): Envelope {
  return create(EnvelopeSchema, init);
}

export function recordTiming(
  env: { timings: Envelope["timings"] },
  stage: string,
  instance: string,
  startedNs: bigint,
): void {
  const us = Number((process.hrtime.bigint() - startedNs) / 1000n);
  env.timings.push(create(StageTimingSchema, { stage, instance, processingUs: Math.min(us, 0xffffffff) }));
}

/** Milliseconds left before the envelope's absolute deadline (negative when past). */
export function timeLeftMs(env: Envelope, now: number = Date.now()): number {
  return Number(env.deadlineUnixMs) - now;
}
