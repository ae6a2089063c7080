// A batch as the gRPC door shows it: switchyard.v1.Batch, OpenAI's Batch object field for field
// as batchJson (common) gives it over HTTP, with 0 and "" where that has null.
import { create } from "@bufbuild/protobuf";
import { BatchSchema, type Batch } from "@switchyard/proto";
import type { BatchView } from "./batch-service.js";

/** Unix seconds; 0 while unset. */
const seconds = (t: number | undefined): bigint => BigInt(t ?? 0);

export function batchMessage({ record: r, counts, usage }: BatchView): Batch {
  return create(BatchSchema, {
    id: r.id,
    endpoint: r.endpoint,
    errors: (r.errors ?? []).map((p) => ({
      code: p.code,
      message: p.message,
      param: p.param ?? "",
      line: p.line ?? 0,
    })),
    inputFileId: r.inputFileId,
    completionWindow: r.completionWindow,
    status: r.status,
    outputFileId: r.outputFileId ?? "",
    errorFileId: r.errorFileId ?? "",
    createdAt: seconds(r.createdAt),
    inProgressAt: seconds(r.inProgressAt),
    expiresAt: seconds(r.expiresAt),
    finalizingAt: seconds(r.finalizingAt),
    completedAt: seconds(r.completedAt),
    failedAt: seconds(r.failedAt),
    expiredAt: seconds(r.expiredAt),
    cancellingAt: seconds(r.cancellingAt),
    cancelledAt: seconds(r.cancelledAt),
    requestCounts: { total: counts.total, completed: counts.completed, failed: counts.failed },
    usage: {
      inputTokens: BigInt(usage.inputTokens),
      cachedTokens: BigInt(usage.cachedTokens),
      outputTokens: BigInt(usage.outputTokens),
      reasoningTokens: BigInt(usage.reasoningTokens),
      totalTokens: BigInt(usage.inputTokens + usage.outputTokens),
    },
    metadata: r.metadata ?? {},
    model: r.model ?? "",
  });
}
