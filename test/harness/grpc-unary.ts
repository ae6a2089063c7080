// Typed unary calls on a grpc-js client for the suites of the batch and chain rpcs: the key in
// the metadata, the answer as a promise, and a matcher for refusals.
import assert from "node:assert/strict";
import { Metadata, status, type ServiceError } from "@grpc/grpc-js";

/** A unary method of a grpc-js client, as the suites type it. */
export type Unary<Res> = (req: unknown, md: Metadata, cb: (e: ServiceError | null, r: Res) => void) => void;

export function auth(key: string): Metadata {
  const md = new Metadata();
  md.set("authorization", `Bearer ${key}`);
  return md;
}

/** A caller of `client()`'s unary methods with a key (`defaultKey` unless given). */
export function unaryCaller<C extends object>(client: () => C, defaultKey: string) {
  return <K extends keyof C>(
    method: K,
    req: unknown,
    key: string = defaultKey,
  ): Promise<C[K] extends Unary<infer Res> ? Res : never> =>
    new Promise((resolve, reject) => {
      const c = client();
      (c[method] as Unary<never>).call(c, req, auth(key), (e, r) => (e ? reject(e) : resolve(r)));
    });
}

/** An error with this status (and, when given, this field at fault in the trailers). */
export const refusal =
  (code: status, field?: string) =>
  (e: ServiceError): boolean => {
    assert.equal(e.code, code, `${status[e.code]}: ${e.details}`);
    if (field !== undefined) assert.equal(e.metadata.get("switchyard-error-field")[0], field, e.details);
    return true;
  };
