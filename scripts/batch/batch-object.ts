// The OpenAI Batch object as the gateway sends it (GET /v1/batches/{id}), reduced to the fields
// the CLI reads. See packages/common/src/batches/batch-record.ts for the writer's side.

export type BatchStatus =
  | "validating"
  | "in_progress"
  | "finalizing"
  | "completed"
  | "failed"
  | "expired"
  | "cancelling"
  | "cancelled";

export interface BatchProblem {
  code: string;
  message: string;
  param?: string | null;
  line?: number | null;
}

export interface BatchObject {
  id: string;
  status: BatchStatus;
  endpoint: string;
  input_file_id: string;
  output_file_id: string | null;
  error_file_id: string | null;
  created_at: number;
  expires_at?: number | null;
  in_progress_at?: number | null;
  finalizing_at?: number | null;
  completed_at?: number | null;
  failed_at?: number | null;
  expired_at?: number | null;
  cancelling_at?: number | null;
  cancelled_at?: number | null;
  request_counts: { total: number; completed: number; failed: number };
  usage?: {
    input_tokens: number;
    input_tokens_details?: { cached_tokens: number };
    output_tokens: number;
    output_tokens_details?: { reasoning_tokens: number };
    total_tokens: number;
  } | null;
  errors: { data: BatchProblem[] } | null;
  metadata?: Record<string, string> | null;
}

/** A status no batch leaves. */
export function isFinal(status: BatchStatus): boolean {
  return status === "completed" || status === "failed" || status === "expired" || status === "cancelled";
}
