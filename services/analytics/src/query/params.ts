// The query API's parameters: read from the URL, checked with zod, bounded. A bad one is a 400
// whose message and `param` name it. Times are whole UTC seconds; the range is widened to whole
// buckets (the rollup's finest bucket is the minute), so every bucket in an answer is complete.
import { GatewayError } from "@switchyard/common";
import { z } from "zod";

export const GRANULARITY_SECONDS = { minute: 60, hour: 3600, day: 86_400 } as const;
export type Granularity = keyof typeof GRANULARITY_SECONDS;

/** The longest range one question may cover. */
export const MAX_RANGE_DAYS = 92;
/** The most buckets in one answer: 92 days of hours. */
export const MAX_BUCKETS = MAX_RANGE_DAYS * 24;
/** The most rows in one answer; past it the answer says `truncated: true`. */
export const MAX_ROWS = 10_000;
export const MAX_TOP_KEYS = 100;
/** What `from` is when absent: a day before `to`. */
const DEFAULT_SPAN_SECONDS = 86_400;

/** Dimensions of the rollup a question may be grouped by (API name → column). */
export const USAGE_GROUPS = {
  tenant: "tenant_id",
  team: "team_id",
  key: "key_id",
  model: "model",
  deployment: "deployment",
} as const;
export const LATENCY_GROUPS = { model: "model", deployment: "deployment" } as const;
export const ERROR_GROUPS = USAGE_GROUPS;
export const GUARD_GROUPS = { tenant: "tenant_id", direction: "direction" } as const;

const id = z
  .string()
  .max(128)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "must be letters, digits, . _ : - (at most 128)");
/** Model aliases and deployment ids are free text to ClickHouse: any characters, escaped. */
const freeText = z.string().min(1).max(256);

const time = z.union([z.iso.datetime({ offset: true }), z.iso.date()], {
  error: "must be an ISO 8601 time with a zone (2025-01-31T00:00:00Z) or a date (2025-01-31, UTC)",
});

function groupList<K extends string>(allowed: Readonly<Record<K, string>>) {
  const names = Object.keys(allowed) as K[];
  return z
    .string()
    .transform((s, ctx) => {
      const parts = s.split(",").map((p) => p.trim());
      for (const p of parts) {
        if (!(names as string[]).includes(p)) {
          ctx.addIssue({ code: "custom", message: `must be a comma-separated list of ${names.join(", ")}` });
          return z.NEVER;
        }
      }
      if (new Set(parts).size !== parts.length) {
        ctx.addIssue({ code: "custom", message: "names a dimension twice" });
        return z.NEVER;
      }
      return parts as K[];
    })
    .optional();
}

const common = {
  from: time.optional(),
  to: time.optional(),
  tenant: id.optional(),
  team: id.optional(),
  key: id.optional(),
  model: freeText.optional(),
  deployment: freeText.optional(),
};
const granularity = z.enum(["minute", "hour", "day"]);

export const ENDPOINTS = {
  usage: z.strictObject({
    ...common,
    granularity: granularity.default("hour"),
    group_by: groupList(USAGE_GROUPS),
  }),
  latency: z.strictObject({
    ...common,
    granularity: granularity.default("hour"),
    group_by: groupList(LATENCY_GROUPS),
  }),
  errors: z.strictObject({
    ...common,
    granularity: granularity.optional(),
    group_by: groupList(ERROR_GROUPS),
  }),
  guard: z.strictObject({
    from: common.from,
    to: common.to,
    tenant: common.tenant,
    granularity: granularity.optional(),
    group_by: groupList(GUARD_GROUPS),
  }),
  "top-keys": z.strictObject({
    ...common,
    by: z.enum(["cost", "requests"]).default("cost"),
    limit: z
      .string()
      .regex(/^\d{1,3}$/, `must be a whole number from 1 to ${MAX_TOP_KEYS}`)
      .transform(Number)
      .pipe(z.number().int().min(1).max(MAX_TOP_KEYS))
      .default(10),
  }),
} as const;
export type Endpoint = keyof typeof ENDPOINTS;

/** The time range of a question, in UTC epoch seconds: from ≤ t < to. */
export interface Range {
  from: number;
  to: number;
  /** Bucket width in seconds; undefined for totals over the range. */
  bucket: number | undefined;
  granularity: Granularity | undefined;
}

export type Filters = Partial<Record<"tenant" | "team" | "key" | "model" | "deployment", string>>;

export type ParsedParams<E extends Endpoint> = z.infer<(typeof ENDPOINTS)[E]>;

const invalid = (field: string, message: string): GatewayError =>
  new GatewayError("invalid_argument", `${field}: ${message}`, { field });

/** The URL's parameters as one object; a parameter given twice is refused. */
function single(search: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of search) {
    if (Object.hasOwn(out, k)) throw invalid(k, "given more than once");
    out[k] = v;
  }
  return out;
}

/** Checks a request's parameters for `endpoint`; throws invalid_argument naming the field. */
export function parseParams<E extends Endpoint>(endpoint: E, search: URLSearchParams): ParsedParams<E> {
  const raw = single(search);
  const r = ENDPOINTS[endpoint].safeParse(raw);
  if (r.success) return r.data as ParsedParams<E>;
  const issue = r.error.issues[0]!;
  if (issue.code === "unrecognized_keys") {
    const name = issue.keys[0] ?? "";
    const known = Object.keys(ENDPOINTS[endpoint].shape).join(", ");
    throw invalid(name, `unknown parameter for /${endpoint} (known: ${known})`);
  }
  throw invalid(issue.path.join(".") || "query", issue.message);
}

const toSeconds = (t: string): number =>
  Math.floor(Date.parse(t.length === 10 ? `${t}T00:00:00Z` : t) / 1000);

/**
 * The range of a question: `to` defaults to now and `from` to a day before it; both are widened
 * to whole buckets (whole minutes for totals). Bounded to MAX_RANGE_DAYS and MAX_BUCKETS.
 */
export function rangeOf(
  p: { from?: string | undefined; to?: string | undefined; granularity?: Granularity | undefined },
  nowMs: number = Date.now(),
): Range {
  const bucket = p.granularity === undefined ? undefined : GRANULARITY_SECONDS[p.granularity];
  const step = bucket ?? 60;
  const rawTo = p.to === undefined ? Math.floor(nowMs / 1000) : toSeconds(p.to);
  const rawFrom = p.from === undefined ? rawTo - DEFAULT_SPAN_SECONDS : toSeconds(p.from);
  if (rawFrom < 0) throw invalid("from", "must not be before 1970-01-01");
  if (rawTo > 0xffff_ffff - 86_400) throw invalid("to", "must be before 2106");
  if (rawFrom >= rawTo) throw invalid("from", "must be before `to`");
  const from = Math.floor(rawFrom / step) * step;
  const to = Math.ceil(rawTo / step) * step;
  if (to - from > MAX_RANGE_DAYS * 86_400)
    throw invalid("from", `the range may cover at most ${MAX_RANGE_DAYS} days`);
  if (bucket !== undefined && (to - from) / bucket > MAX_BUCKETS)
    throw invalid(
      "granularity",
      `${(to - from) / bucket} ${p.granularity} buckets; at most ${MAX_BUCKETS}: choose a coarser granularity or a shorter range`,
    );
  return { from, to, bucket, granularity: p.granularity };
}
