// Requests refused at the door — no or an unknown key, a scope or model not allowed, a body that
// is not JSON or not valid, an unknown model or path, a body too large, ingress itself full —
// never enter the pipeline, so no usage event tells of them. Each leaves a UsageEvent of its own
// on <prefix>.v1.events.rejected (never settled), so an analyst can see a stolen or probing key:
// the key when the key store knows it, else the first 12 hex digits of the SHA-256 of the
// secret presented (never the secret). A client can refuse itself thousands of times a second,
// so at most `perSecond` events a second leave one ingress (a token bucket); past that a
// refusal is only counted. Every refusal is counted by door and status.
import { createHash, randomUUID } from "node:crypto";
import type { MessageInitShape } from "@bufbuild/protobuf";
import type { EventPublisher, GatewayError } from "@switchyard/common";
import { RequestKind, type KeyInfo, type UsageEventSchema } from "@switchyard/proto";
import { Counter, type Registry } from "prom-client";

/** What a door knows of a request so far, for its event should it be refused there. */
export interface DoorRequest {
  readonly door: "http" | "grpc";
  readonly receivedUnixMs: number;
  kind: RequestKind;
  stream: boolean;
  /** The secret presented: only its hash prefix is ever written, and only when no key matched. */
  presentedKey: string | undefined;
  /** The key behind it, once the key store named one (even a key then refused: revoked, pending). */
  key: KeyInfo | undefined;
  model: string;
  endUser: string;
  /** Set once the pipeline took the request: from then on its usage event tells how it ended. */
  entered: boolean;
}

export function doorRequest(door: DoorRequest["door"], kind = RequestKind.UNSPECIFIED): DoorRequest {
  return {
    door,
    receivedUnixMs: Date.now(),
    kind,
    stream: false,
    presentedKey: undefined,
    key: undefined,
    model: "",
    endUser: "",
    entered: false,
  };
}

/** Longest model or end-user text a refusal keeps: a prober chooses them. */
const MAX_TEXT = 256;

/**
 * The model and end user a request names: an HTTP body that parsed as JSON but may not be valid,
 * a gRPC message (its refusal still names what it asked for).
 */
export function noteRequest(req: DoorRequest, body: unknown): void {
  if (typeof body !== "object" || body === null) return;
  const { model, user, stream } = body as Record<string, unknown>;
  if (typeof model === "string") req.model = model.slice(0, MAX_TEXT);
  if (typeof user === "string") req.endUser = user.slice(0, MAX_TEXT);
  if (stream === true) req.stream = true;
}

/** The first 12 hex digits of the SHA-256 of a secret: enough to group, too few to look up. */
export function keyHashPrefix(secret: string): string {
  return createHash("sha256").update(secret).digest("hex").slice(0, 12);
}

/**
 * The event of a refused request. Its id is always minted here: a client's own x-request-id
 * could be the id of the request it duplicates, or fold a prober's refusals into one row.
 */
export function rejectedEventOf(
  req: DoorRequest,
  err: GatewayError,
  requestId: string,
  finishedUnixMs: number,
): MessageInitShape<typeof UsageEventSchema> {
  const key = req.key;
  return {
    requestId,
    tenantId: key?.tenantId ?? "",
    teamId: key?.teamId ?? "",
    keyId: key?.id ?? "",
    keyHashPrefix: key === undefined && req.presentedKey !== undefined ? keyHashPrefix(req.presentedKey) : "",
    kind: req.kind,
    model: req.model,
    stream: req.stream,
    status: err.code,
    httpStatus: err.httpStatus,
    door: req.door,
    endUser: req.endUser,
    receivedUnixMs: BigInt(req.receivedUnixMs),
    finishedUnixMs: BigInt(finishedUnixMs),
  };
}

/** A token bucket: `perSecond` tokens a second, holding at most a second's worth. */
export function tokenBucket(perSecond: number, now: () => number = () => performance.now()) {
  let tokens = perSecond;
  let last = now();
  return {
    take(): boolean {
      const t = now();
      tokens = Math.min(perSecond, tokens + ((t - last) * perSecond) / 1000);
      last = t;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

export interface Refusals {
  /**
   * Counts a request refused at the door and, within the cap, publishes its event. Returns the
   * refusal's request id (for the answer's x-request-id); a request the pipeline took returns
   * undefined and records nothing (its usage event does).
   */
  record(req: DoorRequest, err: GatewayError): string | undefined;
}

export function createRefusals(deps: {
  events: Pick<EventPublisher, "rejected">;
  /** Events published a second at most, per ingress; past it refusals are only counted. */
  perSecond: number;
  registry: Registry;
  now?: () => number;
}): Refusals {
  const registers = [deps.registry];
  const refused = new Counter({
    name: "switchyard_rejected_requests_total",
    help: "Requests refused at the door (before the pipeline), by door and error code",
    labelNames: ["door", "status"],
    registers,
  });
  const dropped = new Counter({
    name: "switchyard_rejected_events_dropped_total",
    help: "Refusals past the per-ingress cap on their events: counted, not published",
    registers,
  });
  const bucket = tokenBucket(deps.perSecond, deps.now);
  return {
    record(req, err) {
      if (req.entered) return undefined;
      refused.inc({ door: req.door, status: err.code });
      const requestId = randomUUID();
      if (bucket.take()) deps.events.rejected(rejectedEventOf(req, err, requestId, Date.now()));
      else dropped.inc();
      return requestId;
    },
  };
}
