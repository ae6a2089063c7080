// One request inside one process, as it passes the stages that run there: the envelope's
// fields decoded, and the body held as the bytes it arrived in or as the decoded object,
// whichever the stages needed. Nothing is encoded while the request stays in the process (the
// stages inline in ingress pass objects); what leaves it is encoded once, and a stage process
// that changed only its own result fields appends them to the bytes it received instead of
// re-encoding the envelope (protobuf merges the two on decoding).
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  ChatRequestSchema,
  EmbedRequestSchema,
  EnvelopeSchema,
  type Admission,
  type ChatRequest,
  type EmbedRequest,
  type Envelope,
  type GuardPlan,
  type GuardResult,
  type RouteDecision,
} from "@switchyard/proto";

/** The fields a stage may set besides the body; anything else is fixed by ingress. */
interface Results {
  guard: GuardResult | undefined;
  guardPlan: GuardPlan | undefined;
  route: RouteDecision | undefined;
  admission: Admission | undefined;
  timings: number;
}

export class Flight {
  private chatBody: ChatRequest | undefined;
  private embedBody: EmbedRequest | undefined;
  /** The decoded body was changed: `env.request` no longer holds it. */
  private bodyChanged = false;
  private signal: AbortSignal | undefined;
  /** The result fields as received, to tell what the stages here set. */
  private readonly baseline: Results;

  private constructor(
    /**
     * The envelope. Stages read it, and set `guard` (and `guardPlan`), `route` or `admission`
     * (once each);
     * `request` holds the body's bytes only while the body has not been decoded and changed:
     * use chat()/embed() to read the body.
     */
    readonly env: Envelope,
    /** The bytes it arrived in from another process; undefined when ingress made it here. */
    private readonly received: Uint8Array | undefined,
  ) {
    this.baseline = {
      guard: env.guard,
      guardPlan: env.guardPlan,
      route: env.route,
      admission: env.admission,
      timings: env.timings.length,
    };
  }

  /** A request that arrived from another process. The body is decoded only when read. */
  static fromWire(bytes: Uint8Array): Flight {
    return new Flight(fromBinary(EnvelopeSchema, bytes), bytes);
  }

  /** A request ingress made from a decoded body; the body is encoded only if it leaves. */
  static fromBody(env: Envelope, body: { chat: ChatRequest } | { embed: EmbedRequest }): Flight {
    const flight = new Flight(env, undefined);
    if ("chat" in body) flight.chatBody = body.chat;
    else flight.embedBody = body.embed;
    flight.bodyChanged = true;
    return flight;
  }

  /** The chat request, decoded on first use. */
  chat(): ChatRequest {
    this.chatBody ??= fromBinary(ChatRequestSchema, this.env.request);
    return this.chatBody;
  }

  /** The embeddings request, decoded on first use. */
  embed(): EmbedRequest {
    this.embedBody ??= fromBinary(EmbedRequestSchema, this.env.request);
    return this.embedBody;
  }

  /** Says the decoded body was rewritten (guard redaction): it is re-encoded if it leaves. */
  markBodyChanged(): void {
    this.bodyChanged = true;
  }

  /**
   * The request's deadline as a signal, made on first use: most stages never wait on anything
   * and need no timer. The owner of the request may set one it already has.
   */
  get deadline(): AbortSignal {
    this.signal ??= AbortSignal.timeout(Math.max(0, Number(this.env.deadlineUnixMs) - Date.now()));
    return this.signal;
  }

  set deadline(signal: AbortSignal) {
    this.signal = signal;
  }

  /** The envelope's bytes, for the next process on its routing slip. */
  toWire(): Uint8Array {
    const delta = this.received !== undefined && !this.bodyChanged ? this.appendable() : undefined;
    if (delta !== undefined) {
      const bytes = toBinary(EnvelopeSchema, delta);
      const out = new Uint8Array(this.received!.length + bytes.length);
      out.set(this.received!);
      out.set(bytes, this.received!.length);
      return out;
    }
    if (this.bodyChanged) {
      this.env.request =
        this.chatBody !== undefined
          ? toBinary(ChatRequestSchema, this.chatBody)
          : toBinary(EmbedRequestSchema, this.embedBody ?? create(EmbedRequestSchema));
    }
    return toBinary(EnvelopeSchema, this.env);
  }

  /**
   * What the stages here changed, as an envelope to append to the received bytes; undefined
   * when appending would not merge right (a result field that was already set was replaced).
   */
  private appendable(): Envelope | undefined {
    const { env, baseline } = this;
    const delta = create(EnvelopeSchema, { hop: env.hop, timings: env.timings.slice(baseline.timings) });
    for (const field of ["guard", "guardPlan", "route", "admission"] as const) {
      if (env[field] === baseline[field]) continue;
      if (baseline[field] !== undefined) return undefined;
      (delta as Record<typeof field, unknown>)[field] = env[field];
    }
    return delta;
  }
}
