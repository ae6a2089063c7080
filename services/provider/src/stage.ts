// Provider stage: calls the upstream for the router's deployments in order. A retryable failure
// before the first byte reaches the client (429, 5xx, connect errors, timeouts) is retried on the
// same deployment as the route's retry policy allows (retries.ts), then falls through to the
// next deployment; after the first byte, the client gets an explicit error frame. The answer, or
// the stream's terminal frame, carries the Outcome ingress needs for the request's usage event
// and headers (deployment, attempts); so does the error that ends a request no deployment served.
import { setTimeout as sleep } from "node:timers/promises";
import { create } from "@bufbuild/protobuf";
import {
  costOf,
  GatewayError,
  recordTiming,
  type AttemptRecorder,
  type Flight,
  type Logger,
  type ReplySink,
  type StageHandler,
} from "@switchyard/common";
import {
  AttemptResult,
  OutcomeSchema,
  ReplySchema,
  RequestKind,
  StageTimingSchema,
  StreamDoneSchema,
  StreamFrameSchema,
  UsageSchema,
  type ChatChunk,
  type Deployment,
  type Envelope,
  type Outcome,
  type Reply,
  type StageTiming,
  type StreamFrame,
  type Usage,
} from "@switchyard/proto";
import type { AnswerScreen, AnswerScreens } from "@switchyard/guard/output";
import {
  refusalKind,
  type ProviderAdapter,
  type ProviderId,
  type UpstreamRequest,
  type UpstreamTarget,
} from "@switchyard/providers";
import type { Cancellations } from "./cancellations.js";
import type { Cooldowns } from "./cooldowns.js";
import type { AttemptMetrics } from "./metrics.js";
import { decideRetry } from "./retries.js";
import type { UpstreamPools, UpstreamResponse } from "./upstream-http.js";

export interface ConfiguredProvider {
  type: ProviderId;
  target: Omit<UpstreamTarget, "upstreamModel">;
}

export interface ProviderStageDeps {
  /** Where answers and stream frames go: NATS in the provider process, the waiting call inline. */
  replies: ReplySink;
  log: Logger;
  instance: string;
  adapters: Readonly<Record<ProviderId, ProviderAdapter>>;
  providers: ReadonlyMap<string, ConfiguredProvider>;
  pools: UpstreamPools;
  cancellations: Cancellations;
  cooldowns: Cooldowns;
  /** Output screening by the tenant's guard policy (PII, secrets, canary, placeholders). */
  answerScreens?: AnswerScreens;
  /** Counts every upstream call by deployment and what followed it. */
  attempts?: AttemptMetrics;
  /** Feeds the live routing statistics: in-flight calls, outcomes and latencies. */
  stats?: AttemptRecorder;
}

/** Where a request stands in its route: deployments passed over, and upstream calls made. */
interface Tries {
  fallbacks: number;
  attempts: number;
  /** The current attempt's time to first token (streams), for the statistics. */
  ttftMs: number;
  /** Time spent in upstream calls so far (retry waits not included), for a failure's outcome. */
  upstreamMs: number;
}

async function readErrorBody(res: UpstreamResponse): Promise<unknown> {
  const text = await res.body.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Maps transport failures (refused, reset, timeouts, aborts) to gateway errors. */
function transportError(err: unknown, cancelled: boolean, deadline: boolean): GatewayError {
  if (err instanceof GatewayError) return err;
  if (deadline)
    return new GatewayError(
      "deadline_exceeded",
      "the request deadline passed while the upstream was working",
      { cause: err },
    );
  if (cancelled) return new GatewayError("cancelled", "the client cancelled the request", { cause: err });
  const code = (err as { code?: string }).code ?? "";
  const message = /TIMEOUT/i.test(code)
    ? "the upstream timed out"
    : `cannot reach the upstream (${code || (err as Error).message})`;
  return new GatewayError("upstream_error", message, { retryable: true, cause: err });
}

/** What a stream stopped by output screening is metered by: its usage never came. */
function estimatedUsage(promptTokens: number, generatedChars: number): Usage {
  const completionTokens = Math.ceil(generatedChars / 4);
  return create(UsageSchema, {
    promptTokens,
    completionTokens,
    totalTokens: promptTokens + completionTokens,
  });
}

/** A chunk that output screening emptied: all its text held back, nothing else in it. */
function carriesNothing(chunk: ChatChunk): boolean {
  return chunk.choices.every((c) => {
    const d = c.delta;
    if (c.finishReason !== "") return false;
    if (d === undefined) return true;
    return (
      (d.content ?? "") === "" &&
      d.role === "" &&
      (d.refusal ?? "") === "" &&
      (d.reasoningContent ?? "") === "" &&
      (d.reasoningSignature ?? "") === "" &&
      d.redactedReasoning.length === 0 &&
      d.toolCalls.every((t) => t.argumentsJson === "" && t.id === "" && t.functionName === "")
    );
  });
}

/** How a failed attempt counts in the live statistics: a client's cancel or a 400 does not. */
function statsResult(err: GatewayError, aborted: boolean): AttemptResult | undefined {
  if (aborted) return undefined;
  if (err.code === "rate_limited") return AttemptResult.THROTTLED;
  return err.retryable ? AttemptResult.FAILED : undefined;
}

/**
 * Where an upstream's refusal may go instead, when the route's refusal fallback allows it: after
 * a context-window refusal, the route's deployments with a larger window (smallest first); after
 * a content-policy refusal, the configured alternatives. Never one already tried.
 */
function refusalDetour(
  env: Envelope,
  d: Deployment,
  err: GatewayError,
  tried: readonly Deployment[],
): Deployment[] {
  const fb = env.route?.refusalFallback;
  if (fb === undefined || err.retryable) return [];
  const kind = refusalKind(err);
  const fresh = (x: Deployment): boolean => !tried.some((t) => t.id === x.id);
  if (kind === "context_window" && fb.contextWindow) {
    const larger = (x: Deployment): boolean => x.contextWindow > d.contextWindow || x.contextWindow === 0;
    return (env.route?.deployments ?? [])
      .filter((x) => fresh(x) && larger(x))
      .sort((a, b) => (a.contextWindow || Infinity) - (b.contextWindow || Infinity));
  }
  if (kind === "content_policy") return fb.contentPolicy.filter(fresh);
  return [];
}

export function createProviderStage(deps: ProviderStageDeps): StageHandler {
  const { replies } = deps;

  function resolve(d: Deployment): { adapter: ProviderAdapter; target: UpstreamTarget; providerId: string } {
    const p = deps.providers.get(d.provider);
    if (p === undefined)
      throw new GatewayError("internal", `deployment ${d.id} names unknown provider ${d.provider}`);
    return {
      adapter: deps.adapters[p.type],
      target: { ...p.target, upstreamModel: d.upstreamModel },
      providerId: d.provider,
    };
  }

  function timingsWith(env: Envelope, started: bigint, upstreamUs: number): StageTiming[] {
    const own = { timings: [...env.timings] };
    recordTiming(own, "provider", deps.instance, started);
    const last = own.timings[own.timings.length - 1];
    if (last !== undefined) last.processingUs = Math.max(0, last.processingUs - upstreamUs);
    own.timings.push(
      create(StageTimingSchema, { stage: "upstream", instance: deps.instance, processingUs: upstreamUs }),
    );
    return own.timings;
  }

  /** What the usage event needs from this stage, for the reply or the terminal frame. */
  function outcomeOf(
    env: Envelope,
    d: Deployment,
    tries: Tries,
    usage: Usage | undefined,
    times: { upstreamMs: number; ttftMs: number },
    screen?: AnswerScreen,
  ): Outcome {
    const cost = costOf(d.prices, usage);
    return create(OutcomeSchema, {
      provider: d.provider,
      deployment: d.id,
      upstreamModel: d.upstreamModel,
      usage,
      costNanoUsd: cost.totalNanoUsd,
      costInputNanoUsd: cost.inputNanoUsd,
      costOutputNanoUsd: cost.outputNanoUsd,
      ttftMs: times.ttftMs,
      upstreamMs: times.upstreamMs,
      fallbacks: tries.fallbacks,
      attempts: tries.attempts,
      guard: env.guard,
      guardOutput: screen?.result(),
      routePolicy: env.route?.policy,
      routeReason: env.route?.reason,
    });
  }

  async function send(
    providerId: string,
    req: UpstreamRequest,
    adapter: ProviderAdapter,
    signal: AbortSignal,
  ): Promise<UpstreamResponse> {
    const res = await deps.pools.send(providerId, req, signal);
    if (res.status >= 400) throw adapter.mapError(res.status, await readErrorBody(res), res.headers());
    return res;
  }

  /** One unary attempt; returns the answer, with its outcome, for the caller to send. */
  async function unary(
    flight: Flight,
    d: Deployment,
    tries: Tries,
    started: bigint,
    signal: AbortSignal,
  ): Promise<Reply> {
    const { env } = flight;
    const { adapter, target, providerId } = resolve(d);
    const t0 = performance.now();
    let result: ReturnType<typeof create<typeof ReplySchema>>["result"];
    let usage: Usage;
    let screen: AnswerScreen | undefined;
    if (env.kind === RequestKind.EMBED) {
      if (adapter.embeddings === undefined) {
        throw new GatewayError("invalid_argument", `provider ${adapter.id} has no embeddings API`, {
          retryable: false,
        });
      }
      const req = flight.embed();
      const res = await send(providerId, await adapter.embeddings.buildRequest(req, target), adapter, signal);
      const parsed = adapter.embeddings.parseResponse(res.status, await res.body.json());
      parsed.response.provider = d.provider;
      parsed.response.deployment = d.id;
      result = { case: "embed", value: parsed.response };
      usage = parsed.usage;
      // Some providers (Gemini) report no usage for embeddings: meter ingress's estimate instead.
      if (usage.promptTokens === 0) usage.promptTokens = usage.totalTokens = env.estimatedPromptTokens;
    } else {
      const req = flight.chat();
      const res = await send(providerId, await adapter.buildRequest(req, target, false), adapter, signal);
      const parsed = adapter.parseResponse(res.status, await res.body.json());
      // Not every provider sends an id or a creation time; clients expect both.
      parsed.response.id ||= `chatcmpl-${env.requestId}`;
      parsed.response.created ||= BigInt(Math.floor(Date.now() / 1000));
      parsed.response.provider = d.provider;
      parsed.response.deployment = d.id;
      screen = deps.answerScreens?.(env);
      screen?.response(parsed.response);
      result = { case: "chat", value: parsed.response };
      usage = parsed.usage;
    }
    const upstreamMs = performance.now() - t0;
    const timings = timingsWith(env, started, Math.round(upstreamMs * 1000));
    const outcome = outcomeOf(
      env,
      d,
      tries,
      usage,
      { upstreamMs: Math.round(upstreamMs), ttftMs: 0 },
      screen,
    );
    return create(ReplySchema, {
      requestId: env.requestId,
      result,
      timings,
      guard: env.guard,
      outcome,
      admission: env.admission,
    });
  }

  /**
   * Streams one attempt. Throws only before the first frame; after it, ends the stream itself,
   * and says whether it ended well.
   */
  async function stream(
    flight: Flight,
    d: Deployment,
    tries: Tries,
    started: bigint,
    signal: AbortSignal,
    deadline: AbortSignal,
  ): Promise<"ok" | "failed"> {
    const { env } = flight;
    const { adapter, target, providerId } = resolve(d);
    const t0 = performance.now();
    const req = flight.chat();
    const res = await send(providerId, await adapter.buildRequest(req, target, true), adapter, signal);
    const decoder = adapter.createStreamDecoder();
    let seq = 0n;
    let ttftMs = 0;
    const created = BigInt(Math.floor(Date.now() / 1000));
    const sendFrame = (kind: StreamFrame["kind"], timings: StageTiming[] = [], outcome?: Outcome): void => {
      replies.frame(
        env,
        create(StreamFrameSchema, {
          requestId: env.requestId,
          // The first frame also tells ingress what the meter admitted the request under, what
          // the guard did, and how many upstream calls it took to start.
          admission: seq === 0n ? env.admission : undefined,
          guard: seq === 0n ? env.guard : undefined,
          attempts: seq === 0n ? tries.attempts : 0,
          seq: seq++,
          kind,
          timings,
          outcome,
          attempt: env.attempt,
        }),
      );
    };
    const screen = deps.answerScreens?.(env);
    let stopped = false;
    /** Characters the upstream generated, for the estimate a stopped stream is metered by. */
    let generated = 0;
    let last: ChatChunk | undefined;
    const emit = (chunk: ChatChunk): void => {
      if (seq === 0n) {
        ttftMs = tries.ttftMs = Math.round(performance.now() - t0);
        sendFrame({ case: "chunk", value: chunk }, timingsWith(env, started, ttftMs * 1000));
      } else sendFrame({ case: "chunk", value: chunk });
    };
    const forward = (chunks: ChatChunk[]): void => {
      for (const chunk of chunks) {
        if (chunk.choices.length === 0) continue; // usage-only chunks: usage travels in the done frame
        chunk.id ||= `chatcmpl-${env.requestId}`;
        chunk.created ||= created;
        chunk.provider = d.provider;
        chunk.deployment = d.id;
        last = chunk;
        if (screen === undefined) emit(chunk);
        else if (!screen.chunk(chunk, (n) => (generated += n))) {
          // The answer leaks what it must not: end it as OpenAI does a filtered answer.
          emit(screen.terminal(chunk));
          stopped = true;
          return;
        } else if (!carriesNothing(chunk)) emit(chunk);
      }
    };
    try {
      for await (const bytes of res.body as AsyncIterable<Buffer>) {
        forward(decoder.push(bytes));
        if (stopped) break; // leaving the loop closes the upstream body: nothing more is paid for
      }
      const tail = stopped || last === undefined ? undefined : screen?.flush(last);
      if (tail !== undefined) emit(tail);
      // A stopped stream was cut short: the usage the upstream reports at its end never came,
      // so it is metered by an estimate (the prompt's count, four characters a token) rather
      // than as free.
      const usage = stopped ? estimatedUsage(env.estimatedPromptTokens, generated) : decoder.finish().usage;
      const upstreamMs = Math.round(performance.now() - t0);
      const done = create(StreamDoneSchema, {
        usage,
        provider: d.provider,
        deployment: d.id,
        timings: timingsWith(env, started, upstreamMs * 1000),
      });
      sendFrame(
        { case: "done", value: done },
        [],
        outcomeOf(env, d, tries, usage, { upstreamMs, ttftMs }, screen),
      );
      return "ok";
    } catch (err) {
      res.body.destroy();
      const gerr = transportError(err, signal.aborted && !deadline.aborted, deadline.aborted);
      if (seq === 0n) throw gerr; // nothing reached the client yet: the caller may fall back
      const upstreamMs = Math.round(performance.now() - t0);
      sendFrame(
        { case: "error", value: gerr.toInfo() },
        [],
        outcomeOf(env, d, tries, undefined, { upstreamMs, ttftMs }, screen),
      );
      return "failed";
    }
  }

  /**
   * What follows a failed call to `d`: "retry" it after the backoff (a client cancel or the
   * deadline cuts the wait short, and then it is "end"), "fall_back" to the next deployment, or
   * "end" the request with this error.
   */
  async function afterFailure(
    env: Envelope,
    d: Deployment,
    err: GatewayError,
    retried: number,
    more: boolean,
    signal: AbortSignal,
  ): Promise<"retry" | "fall_back" | "end"> {
    if (err.code === "rate_limited" || err.code === "upstream_error")
      deps.cooldowns.note(d.id, err.retryAfterMs);
    if (!err.retryable || signal.aborted) {
      deps.attempts?.(d.id, "failed");
      return "end";
    }
    const next = decideRetry({
      policy: env.route?.retry,
      retried,
      retryAfterMs: err.retryAfterMs,
      msLeft: Number(env.deadlineUnixMs) - Date.now(),
    });
    const why = {
      requestId: env.requestId,
      deployment: d.id,
      code: err.code,
      upstreamStatus: err.upstreamStatus,
    };
    if (next.retry) {
      deps.attempts?.(d.id, "retried");
      deps.log.warn({ ...why, waitMs: next.waitMs }, "retrying");
      try {
        if (next.waitMs > 0) await sleep(next.waitMs, undefined, { signal });
      } catch {
        return "end";
      }
      return "retry";
    }
    deps.attempts?.(d.id, more ? "fell_back" : "failed");
    if (!more) return "end";
    deps.log.warn({ ...why, retries: retried, stopped: next.reason }, "falling back");
    return "fall_back";
  }

  return async (flight) => {
    const { env } = flight;
    const deadline = flight.deadline;
    const started = process.hrtime.bigint();
    const deployments = deps.cooldowns.order(env.route?.deployments ?? []);
    if (deployments.length === 0)
      throw new GatewayError("internal", "the envelope reached the provider without a route");
    const tracked = deps.cancellations.track(env.requestId, deadline);
    const signal = tracked.signal;
    const failure = (err: unknown): GatewayError =>
      transportError(err, signal.aborted && !deadline.aborted, deadline.aborted);
    const tries: Tries = { fallbacks: 0, attempts: 0, ttftMs: 0, upstreamMs: 0 };
    try {
      for (let index = 0; index < deployments.length; index++) {
        const d = deployments[index]!;
        tries.fallbacks = index;
        for (let retried = 0; ; retried++) {
          tries.attempts++;
          tries.ttftMs = 0;
          let err: GatewayError;
          const t0 = performance.now();
          const ended = deps.stats?.begin(d.id);
          try {
            if (env.stream) {
              const result = await stream(flight, d, tries, started, signal, deadline);
              // A stream the client left is not the deployment's failure.
              if (result === "ok" || !signal.aborted)
                deps.stats?.record(
                  d.id,
                  result === "ok" ? AttemptResult.OK : AttemptResult.FAILED,
                  performance.now() - t0,
                  tries.ttftMs,
                );
              deps.attempts?.(d.id, result);
            } else {
              replies.reply(env, await unary(flight, d, tries, started, signal));
              deps.stats?.record(d.id, AttemptResult.OK, performance.now() - t0);
              deps.attempts?.(d.id, "ok");
            }
            return "answered";
          } catch (thrown) {
            err = failure(thrown);
            const counted = statsResult(err, signal.aborted);
            if (counted !== undefined) deps.stats?.record(d.id, counted, performance.now() - t0);
          } finally {
            ended?.();
            tries.upstreamMs += performance.now() - t0;
          }
          const detour = refusalDetour(env, d, err, deployments.slice(0, index + 1));
          if (detour.length > 0) {
            // Another deployment may take what this one refused: try those instead of the rest.
            deps.attempts?.(d.id, "fell_back");
            deps.log.warn(
              { requestId: env.requestId, deployment: d.id, refusal: refusalKind(err), next: detour[0]!.id },
              "refused: falling back",
            );
            deployments.splice(index + 1, deployments.length, ...detour);
            break;
          }
          const step = await afterFailure(env, d, err, retried, index < deployments.length - 1, signal);
          if (step === "retry") continue;
          if (step === "fall_back") break;
          // A wait cut short ends with the cancel's or the deadline's error, not the upstream's.
          if (signal.aborted) err = failure(signal.reason);
          throw err.withOutcome(
            outcomeOf(env, d, tries, undefined, { upstreamMs: Math.round(tries.upstreamMs), ttftMs: 0 }),
          );
        }
      }
      throw new GatewayError("internal", "the route ended without an answer or an error");
    } finally {
      tracked.release();
    }
  };
}
