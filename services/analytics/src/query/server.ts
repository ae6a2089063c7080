// The analytics query API: JSON over HTTP on the analytics service's own listener (default
// 127.0.0.1:8082, never the public door). Callers authenticate with an API key, looked up through
// the meter over NATS exactly as the doors do (ingress's key store: cached, forgotten the moment
// the meter says a key changed). Errors use the admin API's JSON shape and statuses.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { ClickHouseClient } from "@clickhouse/client";
import {
  GatewayError,
  listen,
  sendJson,
  type Listening,
  type Logger,
  type ManagedNats,
  type Subjects,
} from "@switchyard/common";
import { createKeyStore, keyFromHeaders, type KeyStore } from "@switchyard/ingress/keys";
import { tenantScope } from "./access.js";
import {
  parseParams,
  rangeOf,
  MAX_ROWS,
  type Endpoint,
  type Filters,
  type Granularity,
  type Range,
} from "./params.js";
import {
  errorsQuery,
  errorsRow,
  guardQuery,
  guardRow,
  latencyQuery,
  latencyRow,
  topKeyRow,
  topKeysQuery,
  usageQuery,
  usageRow,
  type BuiltQuery,
  type Group,
  type Question,
} from "./queries.js";

/** A query may run this long on the server before ClickHouse stops it. */
const MAX_EXECUTION_SECONDS = 30;

const ROUTES: Record<string, Endpoint> = {
  "/analytics/v1/usage": "usage",
  "/analytics/v1/latency": "latency",
  "/analytics/v1/errors": "errors",
  "/analytics/v1/guard": "guard",
  "/analytics/v1/top-keys": "top-keys",
};

type Shape = (row: Record<string, unknown>, range: Range, groups: Group[]) => unknown;
const BUILDERS: Record<Exclude<Endpoint, "top-keys">, [(x: Question) => BuiltQuery, Shape]> = {
  usage: [usageQuery, usageRow],
  latency: [latencyQuery, latencyRow],
  errors: [errorsQuery, errorsRow],
  guard: [guardQuery, guardRow],
};

export interface QueryDeps {
  clickhouse: ClickHouseClient;
  database: string;
  keys: Pick<KeyStore, "authenticate">;
  log: Logger;
}

type Rows = Record<string, unknown>[];

async function run(d: QueryDeps, built: BuiltQuery): Promise<Rows> {
  try {
    const rs = await d.clickhouse.query({
      query: built.sql,
      format: "JSONEachRow",
      clickhouse_settings: { max_execution_time: MAX_EXECUTION_SECONDS },
    });
    return await rs.json<Record<string, unknown>>();
  } catch (err) {
    const code = (err as { code?: string }).code;
    // No answer at all (refused, reset, timed out): ClickHouse is away, the caller may retry.
    if (code !== undefined && /^E[A-Z]+$/.test(code))
      throw new GatewayError("unavailable", "ClickHouse does not answer now; retry", { cause: err });
    throw err;
  }
}

/** Answers one query-API request: authenticate, check parameters, query, shape. */
export async function answer(
  d: QueryDeps,
  path: string,
  search: URLSearchParams,
  presentedKey: string | undefined,
): Promise<unknown> {
  const endpoint = ROUTES[path];
  if (endpoint === undefined) throw new GatewayError("not_found", `no analytics route ${path}`);
  const key = await d.keys.authenticate(presentedKey);
  const p = parseParams(endpoint, search);
  const tenant = tenantScope(key, p.tenant);
  // Parameters an endpoint does not take are absent (its schema refused them).
  const given = p as Filters & { granularity?: Granularity; group_by?: string[] };
  const range = rangeOf({ from: p.from, to: p.to, granularity: given.granularity });
  const filters: Filters = {
    tenant,
    team: given.team,
    key: given.key,
    model: given.model,
    deployment: given.deployment,
  };
  const groupBy = given.group_by ?? [];
  const question: Question = { database: d.database, range, filters, groupBy };
  const base = {
    from: new Date(range.from * 1000).toISOString(),
    to: new Date(range.to * 1000).toISOString(),
    ...(range.granularity === undefined ? {} : { granularity: range.granularity }),
    tenant: tenant ?? null,
  };
  if (endpoint === "top-keys") {
    const top = p as { by: "cost" | "requests"; limit: number };
    const rows = await run(d, topKeysQuery(question, top.by, top.limit));
    return { ...base, by: top.by, limit: top.limit, keys: rows.map(topKeyRow) };
  }
  const [build, shape] = BUILDERS[endpoint];
  const built = build(question);
  const rows = await run(d, built);
  const truncated = rows.length > MAX_ROWS;
  return {
    ...base,
    group_by: groupBy,
    rows: rows.slice(0, MAX_ROWS).map((r) => shape(r, range, built.groups)),
    truncated,
  };
}

export function createQueryServer(d: QueryDeps): Server {
  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://analytics");
    if (req.method !== "GET") {
      res.setHeader("allow", "GET");
      throw new GatewayError("invalid_argument", `the analytics API answers GET only, not ${req.method}`);
    }
    const presented = keyFromHeaders(req.headers.authorization, headerValue(req.headers["x-api-key"]));
    sendJson(res, 200, await answer(d, url.pathname, url.searchParams, presented));
  }
  return createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      const gerr = GatewayError.from(err);
      if (gerr.code === "internal" || gerr.code === "unavailable")
        d.log.error({ err, path: req.url?.split("?")[0] }, "analytics query failed");
      if (!res.headersSent) sendJson(res, gerr.httpStatus, gerr.toOpenAI());
    });
  });
}

const headerValue = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? v[0] : v);

export interface QueryApi {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts the query API on SWITCHYARD_ANALYTICS_HTTP_HOST:SWITCHYARD_ANALYTICS_HTTP_PORT. */
export async function startQueryApi(deps: {
  config: { clickhouseDatabase: string; analyticsHttpHost: string; analyticsHttpPort: number };
  log: Logger;
  nats: ManagedNats;
  subjects: Subjects;
  clickhouse: ClickHouseClient;
}): Promise<QueryApi> {
  const log = deps.log.child({ part: "query-api" });
  const keys = createKeyStore({
    nc: deps.nats.nc,
    subjects: deps.subjects,
    log,
    onReconnect: (fn) => deps.nats.onReconnect(fn),
  });
  const server = createQueryServer({
    clickhouse: deps.clickhouse,
    database: deps.config.clickhouseDatabase,
    keys,
    log,
  });
  let listening: Listening;
  try {
    listening = await listen(server, {
      host: deps.config.analyticsHttpHost,
      port: deps.config.analyticsHttpPort,
      what: "analytics query API",
      variable: "SWITCHYARD_ANALYTICS_HTTP_PORT",
    });
  } catch (err) {
    await keys.close();
    throw err;
  }
  log.info({ port: listening.port }, "analytics query API listening");
  return {
    port: listening.port,
    async close() {
      await listening.close();
      await keys.close();
    },
  };
}
