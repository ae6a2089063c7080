// Prompt chains, door-independent: start a run of a chain the gateway file declares, and read
// a run, both scoped to the calling key's tenant. The run's record lives in the chains KV
// bucket; the run itself is a Temporal workflow on the orchestrator's task queue, given the
// chain's definition as it stood at the start (docs/chains.md).
import type { Client } from "@temporalio/client";
import {
  CHAIN_WORKFLOW_TYPE,
  GatewayError,
  chainWorkflowId,
  orchestratorTaskQueue,
  randomId,
  type ChainConfig,
  type ChainRun,
  type ChainRunStore,
  type ChainWorkflowInput,
  type Logger,
} from "@switchyard/common";
import type { KeyInfo } from "@switchyard/proto";
import { workflowSearchAttributes } from "./temporal-client.js";

const RUN_ID = /^chainrun_[A-Za-z0-9]{24}$/;
/** The inputs of a run, as JSON: they travel in the workflow's history. */
const MAX_INPUT_BYTES = 256 * 1024;

export const newChainRunId = (): string => randomId("chainrun_");

export interface ChainService {
  /** The chains a key may run: each name's versions and inputs. */
  list(key: KeyInfo): ChainConfig[];
  /** Starts a run of the chain's latest version (or `version`); resolves to the run as started. */
  start(key: KeyInfo, name: string, body: { inputs?: unknown; version?: unknown }): Promise<ChainRun>;
  get(key: KeyInfo, runId: string): Promise<ChainRun>;
}

export function createChainService(deps: {
  chains: readonly ChainConfig[];
  runs: ChainRunStore;
  temporal: () => Promise<Client>;
  prefix: string;
  log: Logger;
}): ChainService {
  function allowed(key: KeyInfo): void {
    if (!key.scopes.includes("chat"))
      throw new GatewayError("permission_denied", "this key is not allowed to use chat, which chains run on");
  }

  function definition(name: string, version: unknown): ChainConfig {
    const versions = deps.chains.filter((c) => c.name === name);
    if (versions.length === 0)
      throw new GatewayError("not_found", `no chain ${JSON.stringify(name)}`, { field: "name" });
    if (version === undefined || version === null)
      return versions.reduce((a, b) => (b.version > a.version ? b : a));
    const found = versions.find((c) => c.version === version);
    if (found === undefined)
      throw new GatewayError(
        "not_found",
        `chain ${name} has no version ${JSON.stringify(version)} (it has ${versions.map((c) => c.version).join(", ")})`,
        { field: "version" },
      );
    return found;
  }

  function checkInputs(chain: ChainConfig, raw: unknown): Record<string, unknown> {
    if (raw === undefined && chain.inputs.length === 0) return {};
    if (typeof raw !== "object" || raw === null || Array.isArray(raw))
      throw new GatewayError("invalid_argument", "inputs must be an object of the chain's named inputs", {
        field: "inputs",
      });
    const inputs = raw as Record<string, unknown>;
    for (const name of chain.inputs)
      if (inputs[name] === undefined || inputs[name] === null)
        throw new GatewayError("invalid_argument", `input ${name} is required by chain ${chain.name}`, {
          field: `inputs.${name}`,
        });
    for (const name of Object.keys(inputs))
      if (!chain.inputs.includes(name))
        throw new GatewayError(
          "invalid_argument",
          `chain ${chain.name} has no input ${name} (it takes ${chain.inputs.join(", ") || "none"})`,
          {
            field: `inputs.${name}`,
          },
        );
    if (Buffer.byteLength(JSON.stringify(inputs)) > MAX_INPUT_BYTES)
      throw new GatewayError(
        "payload_too_large",
        `a run's inputs are at most ${MAX_INPUT_BYTES} bytes of JSON`,
        { field: "inputs" },
      );
    return inputs;
  }

  return {
    list(key) {
      allowed(key);
      return [...deps.chains];
    },

    async start(key, name, body) {
      allowed(key);
      const chain = definition(name, body.version);
      const inputs = checkInputs(chain, body.inputs);
      const client = await deps.temporal().catch((err: unknown) => {
        throw new GatewayError(
          "unavailable",
          "chains cannot be started now (Temporal does not answer); retry",
          { cause: err },
        );
      });
      const run: ChainRun = {
        id: newChainRunId(),
        tenantId: key.tenantId,
        keyId: key.id,
        chain: chain.name,
        version: chain.version,
        status: "running",
        inputs,
        steps: [],
        createdAt: Date.now(),
      };
      await deps.runs.create(run);
      const input: ChainWorkflowInput = {
        runId: run.id,
        tenantId: key.tenantId,
        keyId: key.id,
        chain,
        inputs,
      };
      try {
        await client.workflow.start(CHAIN_WORKFLOW_TYPE, {
          taskQueue: orchestratorTaskQueue(deps.prefix),
          workflowId: chainWorkflowId(deps.prefix, run.id),
          args: [input],
          typedSearchAttributes: workflowSearchAttributes({ tenantId: key.tenantId, kind: "chain" }),
        });
      } catch (err) {
        deps.log.error({ err, runId: run.id }, "chain workflow not started");
        const error = { code: "not_started", message: "the run could not be started; start it again" };
        await deps.runs.update(key.tenantId, run.id, (r) => ({
          ...r,
          status: "failed",
          error,
          endedAt: Date.now(),
        }));
        throw new GatewayError("unavailable", "the run could not be started (Temporal refused it); retry", {
          cause: err,
        });
      }
      return run;
    },

    async get(key, runId) {
      allowed(key);
      const run = RUN_ID.test(runId) ? await deps.runs.get(key.tenantId, runId) : undefined;
      if (run === undefined)
        throw new GatewayError("not_found", `no chain run ${JSON.stringify(runId)}`, { field: "run_id" });
      return run;
    },
  };
}
