// The activities of a chain run: run a step (its prompt through the pipeline, checked against
// the step's schema and asked again, a bounded number of times, when the answer does not match),
// record a step's outcome, and end the run. A step's request ids are the run id, the step id,
// the map item and the try (`<run>-<step>[-<item>]-<try>`), so a step run again after a crash is
// settled and stored once (docs/chains.md).
import { Context } from "@temporalio/activity";
import { Ajv, type ValidateFunction } from "ajv";
import {
  GatewayError,
  NO_USAGE,
  addUsage,
  type BatchUsage,
  type ChainRunStore,
  type ChainStatus,
  type ChainStepConfig,
  type Logger,
} from "@switchyard/common";
import { chatResponseJson, parseChatBody, type PipelineDoor } from "@switchyard/ingress/pipeline-door";
import { callWaiting, usageOf } from "../pipeline-call.js";
import type { ChainContext } from "./chain-paths.js";
import { TemplateError, renderTemplate } from "./chain-templates.js";

export interface StepAnswer {
  ok: boolean;
  output?: unknown;
  error?: { code: string; message: string };
  attempts: number;
  usage: BatchUsage;
  /** nano-USD, as a decimal string (bigint does not cross Temporal's JSON). */
  costNanoUsd: string;
  requestIds: string[];
}

export interface StepRef {
  runId: string;
  tenantId: string;
  keyId: string;
}

const HEARTBEAT_MS = 2_000;

const messageText = (json: Record<string, unknown>): string => {
  const choices = json.choices as { message?: { content?: unknown } }[] | undefined;
  const content = choices?.[0]?.message?.content;
  return typeof content === "string" ? content : "";
};

export function createChainActivities(deps: { runs: ChainRunStore; door: PipelineDoor; log: Logger }) {
  const ajv = new Ajv({ allErrors: true, strict: false });
  const validators = new Map<string, ValidateFunction>();
  const validatorFor = (schema: object): ValidateFunction => {
    const text = JSON.stringify(schema);
    let v = validators.get(text);
    if (v === undefined) validators.set(text, (v = ajv.compile(schema)));
    return v;
  };

  return {
    async runChainStep(
      input: StepRef & { step: ChainStepConfig; ctx: ChainContext; part?: number },
    ): Promise<StepAnswer> {
      const ctx = Context.current();
      const { step } = input;
      const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_MS);
      const answer: StepAnswer = {
        ok: false,
        attempts: 0,
        usage: NO_USAGE,
        costNanoUsd: "0",
        requestIds: [],
      };
      const fail = (code: string, message: string): StepAnswer => ({
        ...answer,
        ok: false,
        error: { code, message },
      });
      try {
        await deps.runs.update(input.tenantId, input.runId, (r) =>
          r.steps.some((s) => s.id === step.id && s.status === "running")
            ? undefined
            : {
                ...r,
                steps: [
                  ...r.steps,
                  {
                    id: step.id,
                    status: "running",
                    attempts: 0,
                    usage: NO_USAGE,
                    costNanoUsd: "0",
                    requestIds: [],
                    startedAt: Date.now(),
                  },
                ],
              },
        );
        let key;
        let messages: { role: string; content: string }[];
        try {
          key = await deps.door.keys.byId(input.keyId);
          messages = [
            ...(step.system === undefined
              ? []
              : [{ role: "system", content: renderTemplate(step.system, input.ctx) }]),
            { role: "user", content: renderTemplate(step.prompt, input.ctx) },
          ];
        } catch (err) {
          if (err instanceof TemplateError) return fail("template", err.message);
          const e = GatewayError.from(err);
          return fail(e.code, e.message);
        }
        const validate = step.schema === undefined ? undefined : validatorFor(step.schema);
        let problem = "";
        for (let attempt = 1; attempt <= step.max_attempts; attempt++) {
          const part = input.part === undefined ? "" : `-${input.part}`;
          const { request } = parseChatBody({
            model: step.model,
            messages,
            max_tokens: step.max_tokens,
            temperature: step.temperature,
            response_format:
              step.schema === undefined
                ? undefined
                : { type: "json_schema", json_schema: { name: step.id, schema: step.schema } },
          });
          const ended = await callWaiting({
            requestId: `${input.runId}-${step.id}${part}-${attempt}`,
            signal: ctx.cancellationSignal,
            send: (requestId) =>
              deps.door.gateway.chat(key, request, {
                door: "chain",
                chainId: input.runId,
                requestId,
                signal: ctx.cancellationSignal,
              }),
          });
          answer.attempts = attempt;
          answer.requestIds.push(ended.requestId);
          if ("error" in ended) return fail(ended.error.code, ended.error.message);
          answer.usage = addUsage(answer.usage, usageOf(ended.answer.value.usage));
          answer.costNanoUsd = (BigInt(answer.costNanoUsd) + ended.answer.costNanoUsd).toString();
          const text = messageText(chatResponseJson(ended.answer.value, step.model));
          if (validate === undefined) return { ...answer, ok: true, output: text };
          let parsed: unknown;
          try {
            parsed = JSON.parse(text);
            if (validate(parsed)) return { ...answer, ok: true, output: parsed };
            problem = ajv.errorsText(validate.errors);
          } catch {
            problem = "the answer is not JSON";
          }
          // Asked again with what was wrong, the answer it gave kept in the conversation.
          messages = [
            ...messages,
            { role: "assistant", content: text },
            {
              role: "user",
              content: `That answer does not match the required JSON schema (${problem}). Answer again with only the JSON.`,
            },
          ];
        }
        return fail(
          "invalid_output",
          `no answer matched the schema in ${step.max_attempts} tries: ${problem}`,
        );
      } finally {
        clearInterval(beat);
      }
    },

    async recordChainStep(input: {
      runId: string;
      tenantId: string;
      stepId: string;
      answer: StepAnswer;
    }): Promise<void> {
      const { answer } = input;
      await deps.runs.update(input.tenantId, input.runId, (r) => ({
        ...r,
        steps: r.steps.map((s) =>
          s.id !== input.stepId || s.status !== "running"
            ? s
            : {
                ...s,
                status: answer.ok ? "completed" : "failed",
                output: answer.output,
                error: answer.error,
                attempts: answer.attempts,
                usage: answer.usage,
                costNanoUsd: answer.costNanoUsd,
                requestIds: answer.requestIds,
                endedAt: Date.now(),
              },
        ),
      }));
    },

    async endChain(input: {
      runId: string;
      tenantId: string;
      status: ChainStatus;
      output?: unknown;
      error?: { code: string; message: string };
    }): Promise<void> {
      await deps.runs.update(input.tenantId, input.runId, (r) =>
        r.status !== "running"
          ? undefined
          : { ...r, status: input.status, output: input.output, error: input.error, endedAt: Date.now() },
      );
    },
  };
}

export type ChainActivities = ReturnType<typeof createChainActivities>;
