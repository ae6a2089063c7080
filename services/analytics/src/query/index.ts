// The analytics query API (docs/analytics.md, "The query API").
export { startQueryApi, createQueryServer, answer, type QueryApi, type QueryDeps } from "./server.js";
