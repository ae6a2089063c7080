// The admin API's listener (JSON over HTTP, default 127.0.0.1:8081, never the public door).
// Callers authenticate with an API key (`Authorization: Bearer`); errors use the same JSON shape
// and statuses as the public door. The operations are described by services/meter/openapi.yaml.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { GatewayError, listen, sendJson, type Listening, type Logger } from "@switchyard/common";
import { statusOf } from "../identity/store.js";
import { callerOf, type Caller } from "./access.js";
import { handlers, type AdminDeps, type Handler } from "./routes.js";

const BODY_LIMIT = 64 * 1024;

export const ROUTES: [method: string, path: RegExp, handler: Handler][] = [
  ["GET", /^\/admin\/v1\/tenants$/, handlers.listTenants!],
  ["POST", /^\/admin\/v1\/tenants$/, handlers.createTenant!],
  ["GET", /^\/admin\/v1\/tenants\/([^/]+)$/, handlers.getTenant!],
  ["PATCH", /^\/admin\/v1\/tenants\/([^/]+)$/, handlers.updateTenant!],
  ["GET", /^\/admin\/v1\/teams$/, handlers.listTeams!],
  ["POST", /^\/admin\/v1\/teams$/, handlers.createTeam!],
  ["GET", /^\/admin\/v1\/teams\/([^/]+)$/, handlers.getTeam!],
  ["PATCH", /^\/admin\/v1\/teams\/([^/]+)$/, handlers.updateTeam!],
  ["GET", /^\/admin\/v1\/keys$/, handlers.listKeys!],
  ["POST", /^\/admin\/v1\/keys$/, handlers.createKey!],
  ["GET", /^\/admin\/v1\/keys\/([^/]+)$/, handlers.getKey!],
  ["PATCH", /^\/admin\/v1\/keys\/([^/]+)$/, handlers.updateKey!],
  ["POST", /^\/admin\/v1\/keys\/([^/]+)\/revoke$/, handlers.revokeKey!],
  ["POST", /^\/admin\/v1\/keys\/([^/]+)\/rotate$/, handlers.rotateKey!],
  ["POST", /^\/admin\/v1\/keys\/([^/]+)\/approve$/, handlers.approveKey!],
  ["GET", /^\/admin\/v1\/usage\/(keys|teams|tenants)\/([^/]+)$/, handlers.usage!],
];

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (c: Buffer) => {
      size += c.length;
      if (size > BODY_LIMIT)
        reject(new GatewayError("payload_too_large", `admin requests are at most ${BODY_LIMIT} bytes`));
      else chunks.push(c);
    });
    req.on("end", () => {
      if (size === 0) return resolve(undefined);
      try {
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")));
      } catch {
        reject(new GatewayError("invalid_argument", "the request body is not valid JSON"));
      }
    });
    req.on("error", reject);
  });
}

export async function startAdminServer(
  opts: AdminDeps & { host: string; port: number; log: Logger },
): Promise<Listening> {
  const openapi = readFileSync(join(import.meta.dirname, "..", "..", "openapi.yaml"), "utf8");

  async function caller(req: IncomingMessage): Promise<Caller> {
    const m = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? "");
    if (!m?.[1]) throw new GatewayError("unauthenticated", "send an API key: `Authorization: Bearer <key>`");
    const key = await opts.store.keyByHash(`sha256:${createHash("sha256").update(m[1]).digest("hex")}`);
    if (key === undefined || statusOf(key) !== "active")
      throw new GatewayError("unauthenticated", "invalid API key");
    return callerOf(key);
  }

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://admin");
    if (req.method === "GET" && url.pathname === "/admin/v1/openapi.yaml") {
      res.writeHead(200, { "content-type": "application/yaml" }).end(openapi);
      return;
    }
    for (const [method, path, handler] of ROUTES) {
      const m = path.exec(url.pathname);
      if (m === null) continue;
      if (req.method !== method) continue;
      const c = await caller(req);
      const params = m.slice(1).map((s) => decodeURIComponent(s));
      const out = await handler(opts, {
        caller: c,
        params,
        query: url.searchParams,
        body: await readBody(req),
      });
      return sendJson(res, out.status, out.body);
    }
    throw new GatewayError("not_found", `no admin route for ${req.method} ${url.pathname}`);
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((err: unknown) => {
      const gerr =
        err instanceof URIError
          ? new GatewayError("invalid_argument", "the path is not valid percent-encoding")
          : GatewayError.from(err);
      if (gerr.code === "internal") opts.log.error({ err }, "admin request failed");
      if (!res.headersSent) sendJson(res, gerr.httpStatus, gerr.toOpenAI());
    });
  });
  return listen(server, {
    host: opts.host,
    port: opts.port,
    what: "admin",
    variable: "SWITCHYARD_ADMIN_PORT",
  });
}
