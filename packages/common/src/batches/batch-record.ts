// A batch as Switchyard keeps it (one JSON value in the batches KV bucket), and as the Batches
// API shows it: OpenAI's Batch object, field for field, so the official SDKs read it unchanged.

export const BATCH_STATUSES = [
  "validating",
  "failed",
  "in_progress",
  "finalizing",
  "completed",
  "expired",
  "cancelling",
  "cancelled",
] as const;
export type BatchStatus = (typeof BATCH_STATUSES)[number];

/** The endpoints a batch's lines may call. */
export const BATCH_ENDPOINTS = ["/v1/chat/completions", "/v1/embeddings"] as const;
export type BatchEndpoint = (typeof BATCH_ENDPOINTS)[number];

/** A problem with the batch's input, with the 1-based line it was found on. */
export interface BatchProblem {
  code: string;
  message: string;
  param: string | null;
  line: number | null;
}

export interface BatchCounts {
  total: number;
  completed: number;
  failed: number;
}

export interface BatchUsage {
  inputTokens: number;
  cachedTokens: number;
  outputTokens: number;
  reasoningTokens: number;
}

export interface BatchRecord {
  /** "batch_" and 24 random letters and digits. */
  id: string;
  tenantId: string;
  /** The key that created it: its lines run on that key's behalf (and its limits). */
  keyId: string;
  endpoint: BatchEndpoint;
  inputFileId: string;
  completionWindow: string;
  status: BatchStatus;
  /** Unix seconds, as OpenAI's. */
  createdAt: number;
  expiresAt: number;
  inProgressAt?: number;
  finalizingAt?: number;
  completedAt?: number;
  failedAt?: number;
  expiredAt?: number;
  cancellingAt?: number;
  cancelledAt?: number;
  outputFileId?: string;
  errorFileId?: string;
  errors?: BatchProblem[];
  counts: BatchCounts;
  usage: BatchUsage;
  metadata: Record<string, string> | null;
  /** The model alias the lines ask for, when they all ask for one. */
  model?: string;
  /** How many pages its lines were split into (set once validated). */
  pages?: number;
}

export const NO_USAGE: BatchUsage = Object.freeze({
  inputTokens: 0,
  cachedTokens: 0,
  outputTokens: 0,
  reasoningTokens: 0,
});

export function addUsage(a: BatchUsage, b: BatchUsage): BatchUsage {
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    cachedTokens: a.cachedTokens + b.cachedTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    reasoningTokens: a.reasoningTokens + b.reasoningTokens,
  };
}

/** A status no batch leaves. */
export function isFinal(status: BatchStatus): boolean {
  return status === "completed" || status === "failed" || status === "expired" || status === "cancelled";
}

/** OpenAI's Batch object for the record (counts and usage as given: live ones while it runs). */
export function batchJson(
  r: BatchRecord,
  counts: BatchCounts = r.counts,
  usage: BatchUsage = r.usage,
): object {
  const orNull = (v: number | string | undefined): number | string | null => v ?? null;
  return {
    id: r.id,
    object: "batch",
    endpoint: r.endpoint,
    errors: r.errors === undefined ? null : { object: "list", data: r.errors },
    input_file_id: r.inputFileId,
    completion_window: r.completionWindow,
    status: r.status,
    output_file_id: orNull(r.outputFileId),
    error_file_id: orNull(r.errorFileId),
    created_at: r.createdAt,
    in_progress_at: orNull(r.inProgressAt),
    expires_at: r.expiresAt,
    finalizing_at: orNull(r.finalizingAt),
    completed_at: orNull(r.completedAt),
    failed_at: orNull(r.failedAt),
    expired_at: orNull(r.expiredAt),
    cancelling_at: orNull(r.cancellingAt),
    cancelled_at: orNull(r.cancelledAt),
    request_counts: counts,
    usage: {
      input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: usage.cachedTokens },
      output_tokens: usage.outputTokens,
      output_tokens_details: { reasoning_tokens: usage.reasoningTokens },
      total_tokens: usage.inputTokens + usage.outputTokens,
    },
    metadata: r.metadata,
    model: orNull(r.model),
  };
}
