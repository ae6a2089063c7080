// Batches, door-independent: create, retrieve, list and cancel, each scoped to the calling
// key's tenant. A batch's record lives in the batches KV bucket (readable while Temporal or the
// orchestrator restarts); its run is a Temporal workflow on the orchestrator's task queue
// (docs/batches.md). The HTTP door (batches-api.ts) and the gRPC door map onto this.
import { WorkflowNotFoundError, type Client } from "@temporalio/client";
import {
  BATCH_CANCEL_SIGNAL,
  BATCH_ENDPOINTS,
  BATCH_WORKFLOW_TYPE,
  GatewayError,
  NO_USAGE,
  batchWorkflowId,
  isFinal,
  orchestratorTaskQueue,
  randomId,
  type BatchCounts,
  type BatchEndpoint,
  type BatchRecord,
  type BatchStore,
  type BatchUsage,
  type BatchWorkflowInput,
  type FileStore,
  type Logger,
} from "@switchyard/common";
import type { KeyInfo } from "@switchyard/proto";
import { workflowSearchAttributes } from "./temporal-client.js";

const COMPLETION_WINDOWS = ["24h"];
const MAX_METADATA_PAIRS = 16;
const BATCH_ID = /^batch_[A-Za-z0-9]{24}$/;
export const BATCH_LIST_LIMIT = { min: 1, max: 100, default: 20 } as const;

export const newBatchId = (): string => randomId("batch_");

/** What a create call asks for (OpenAI's fields, as the doors received them). */
export interface BatchParams {
  inputFileId: unknown;
  endpoint: unknown;
  completionWindow: unknown;
  metadata: unknown;
}

/** A batch as shown: its record, with counts and usage live while it runs. */
export interface BatchView {
  record: BatchRecord;
  counts: BatchCounts;
  usage: BatchUsage;
}

export interface BatchService {
  create(key: KeyInfo, params: BatchParams): Promise<BatchView>;
  get(key: KeyInfo, id: string): Promise<BatchView>;
  /** Newest first; `after` is the id of the last batch of the previous page. */
  list(
    key: KeyInfo,
    opts: { after?: string; limit: number },
  ): Promise<{ data: BatchView[]; hasMore: boolean }>;
  cancel(key: KeyInfo, id: string): Promise<BatchView>;
}

export interface BatchServiceDeps {
  batches: BatchStore;
  files: FileStore;
  /** The Temporal client, connected on first use (creating a batch is refused while it cannot be). */
  temporal: () => Promise<Client>;
  prefix: string;
  /** What the "24h" completion window lasts, in seconds. */
  windowSeconds: number;
  log: Logger;
}

const bad = (field: string, message: string): GatewayError =>
  new GatewayError("invalid_argument", message, { field });

/** The create call's fields, checked one by one as OpenAI does. */
function checkParams(p: BatchParams): {
  inputFileId: string;
  endpoint: BatchEndpoint;
  completionWindow: string;
  metadata: Record<string, string> | null;
} {
  if (typeof p.inputFileId !== "string" || p.inputFileId === "")
    throw bad("input_file_id", "input_file_id is required: the id of an uploaded file with purpose batch");
  if (!BATCH_ENDPOINTS.includes(p.endpoint as BatchEndpoint))
    throw bad(
      "endpoint",
      `endpoint must be one of ${BATCH_ENDPOINTS.join(", ")}, not ${JSON.stringify(p.endpoint)}`,
    );
  if (typeof p.completionWindow !== "string" || !COMPLETION_WINDOWS.includes(p.completionWindow))
    throw bad(
      "completion_window",
      `completion_window must be "24h", not ${JSON.stringify(p.completionWindow)}`,
    );
  let metadata: Record<string, string> | null = null;
  if (p.metadata !== undefined && p.metadata !== null) {
    if (typeof p.metadata !== "object" || Array.isArray(p.metadata))
      throw bad("metadata", "metadata must be an object of string values");
    const pairs = Object.entries(p.metadata as Record<string, unknown>);
    if (pairs.length > MAX_METADATA_PAIRS)
      throw bad("metadata", `metadata holds at most ${MAX_METADATA_PAIRS} pairs`);
    for (const [k, v] of pairs) {
      if (k.length > 64)
        throw bad("metadata", `metadata key ${JSON.stringify(k.slice(0, 64))}… is longer than 64 characters`);
      if (typeof v !== "string" || v.length > 512)
        throw bad(
          `metadata.${k}`,
          `metadata value of ${JSON.stringify(k)} must be a string of at most 512 characters`,
        );
    }
    metadata = Object.fromEntries(pairs) as Record<string, string>;
  }
  return {
    inputFileId: p.inputFileId,
    endpoint: p.endpoint as BatchEndpoint,
    completionWindow: p.completionWindow,
    metadata,
  };
}

export function createBatchService(deps: BatchServiceDeps): BatchService {
  const { batches } = deps;

  function allowed(key: KeyInfo): void {
    if (!key.scopes.includes("batches"))
      throw new GatewayError("permission_denied", "this key is not allowed to use batches");
  }

  async function view(record: BatchRecord): Promise<BatchView> {
    if (isFinal(record.status) || record.status === "validating")
      return { record, counts: record.counts, usage: record.usage };
    const live = await batches.progress(record.id);
    return {
      record,
      counts: { total: record.counts.total, completed: live.completed, failed: live.failed },
      usage: live.usage,
    };
  }

  async function find(key: KeyInfo, id: string): Promise<BatchRecord> {
    const r = BATCH_ID.test(id) ? await batches.get(key.tenantId, id) : undefined;
    if (r === undefined)
      throw new GatewayError("not_found", `no batch ${JSON.stringify(id)}`, { field: "batch_id" });
    return r;
  }

  return {
    async create(key, raw) {
      allowed(key);
      const params = checkParams(raw);
      const tenantId = key.tenantId;
      const file = await deps.files.info(tenantId, params.inputFileId);
      if (file === undefined)
        throw new GatewayError("not_found", `no file ${JSON.stringify(params.inputFileId)}`, {
          field: "input_file_id",
        });
      if (file.purpose !== "batch")
        throw bad(
          "input_file_id",
          `the file ${file.id} has purpose ${file.purpose}; a batch reads files with purpose batch`,
        );
      const client = await deps.temporal().catch((err: unknown) => {
        throw new GatewayError(
          "unavailable",
          "batches cannot be started now (Temporal does not answer); retry",
          {
            cause: err,
          },
        );
      });
      const createdAt = Math.floor(Date.now() / 1000);
      const record: BatchRecord = {
        id: newBatchId(),
        tenantId,
        keyId: key.id,
        ...params,
        status: "validating",
        createdAt,
        expiresAt: createdAt + deps.windowSeconds,
        counts: { total: 0, completed: 0, failed: 0 },
        usage: NO_USAGE,
      };
      await batches.create(record);
      const input: BatchWorkflowInput = {
        batchId: record.id,
        tenantId,
        deadlineUnixMs: record.expiresAt * 1000,
      };
      try {
        await client.workflow.start(BATCH_WORKFLOW_TYPE, {
          taskQueue: orchestratorTaskQueue(deps.prefix),
          workflowId: batchWorkflowId(deps.prefix, record.id),
          args: [input],
          typedSearchAttributes: workflowSearchAttributes({ tenantId, kind: "batch", batchId: record.id }),
        });
      } catch (err) {
        deps.log.error({ err, batchId: record.id }, "batch workflow not started");
        const problem = {
          code: "not_started",
          message: "the batch could not be started; create it again",
          param: null,
          line: null,
        };
        await batches.update(tenantId, record.id, (r) => ({
          ...r,
          status: "failed",
          failedAt: createdAt,
          errors: [problem],
        }));
        throw new GatewayError("unavailable", "the batch could not be started (Temporal refused it); retry", {
          cause: err,
        });
      }
      return view(record);
    },

    async get(key, id) {
      allowed(key);
      return view(await find(key, id));
    },

    async list(key, { after, limit }) {
      allowed(key);
      if (!Number.isInteger(limit) || limit < BATCH_LIST_LIMIT.min || limit > BATCH_LIST_LIMIT.max)
        throw bad(
          "limit",
          `limit must be a whole number from ${BATCH_LIST_LIMIT.min} to ${BATCH_LIST_LIMIT.max}`,
        );
      const page = await batches.list(key.tenantId, { after, limit: limit + 1 });
      return { data: await Promise.all(page.slice(0, limit).map(view)), hasMore: page.length > limit };
    },

    async cancel(key, id) {
      allowed(key);
      const before = await find(key, id);
      if (isFinal(before.status))
        throw new GatewayError(
          "conflict",
          `the batch ${id} is ${before.status}; only a running batch can be cancelled`,
        );
      const now = Math.floor(Date.now() / 1000);
      const after = await batches.update(key.tenantId, id, (r) =>
        isFinal(r.status) || r.status === "cancelling"
          ? undefined
          : { ...r, status: "cancelling", cancellingAt: now },
      );
      const client = await deps.temporal().catch((err: unknown) => {
        throw new GatewayError(
          "unavailable",
          "the cancel is recorded but Temporal does not answer; retry it",
          {
            cause: err,
          },
        );
      });
      try {
        await client.workflow.getHandle(batchWorkflowId(deps.prefix, id)).signal(BATCH_CANCEL_SIGNAL);
      } catch (err) {
        // The run ended meanwhile: the batch's record already says how.
        if (!(err instanceof WorkflowNotFoundError))
          throw new GatewayError(
            "unavailable",
            "the cancel is recorded but Temporal did not take it; retry it",
            {
              cause: err,
            },
          );
      }
      return view(after ?? before);
    },
  };
}
