// Turns a zod validation failure into the gateway's 400, naming the field at fault the way the
// client wrote it (`messages[1].content[0].image_url.url`). Every door's body parser uses it.
import { GatewayError } from "@switchyard/common";
import type { z } from "zod";

type Issue = z.core.$ZodIssue;

/**
 * The most specific problem: inside a union (string or parts, one role or another), the branch
 * that got furthest into the value explains the mistake better than "invalid input".
 */
function deepest(issue: Issue, base: PropertyKey[] = []): { path: PropertyKey[]; message: string } {
  const path = [...base, ...issue.path];
  if (issue.code === "invalid_union" && issue.errors.length > 0) {
    const candidates = issue.errors.flatMap((branch) => branch.slice(0, 1).map((sub) => deepest(sub, path)));
    candidates.sort((a, b) => b.path.length - a.path.length);
    if (candidates[0] !== undefined && candidates[0].path.length > path.length) return candidates[0];
  }
  return { path, message: issue.message };
}

/** Formats the first zod issue as a GatewayError naming the field. */
export function invalidBody(error: z.ZodError): GatewayError {
  const first = error.issues[0];
  const { path, message } =
    first === undefined ? { path: [], message: "invalid request body" } : deepest(first);
  const field = path.reduce<string>(
    (out, p) => (typeof p === "number" ? `${out}[${p}]` : out === "" ? String(p) : `${out}.${String(p)}`),
    "",
  );
  return new GatewayError("invalid_argument", field === "" ? message : `${field}: ${message}`, { field });
}
