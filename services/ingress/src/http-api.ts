// The asynchronous APIs behind the HTTP door (/v1/files, /v1/batches, /v1/chains): each owns a
// path prefix, gets the request after the door authenticated its key, and answers on its own.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { KeyInfo } from "@switchyard/proto";

export interface HttpApiRequest {
  req: IncomingMessage;
  res: ServerResponse;
  /** The authenticated key: every object it reads or changes is scoped to key.tenantId. */
  key: KeyInfo;
  method: string;
  /** The path without a trailing slash, e.g. "/v1/files/file-abc/content". */
  path: string;
  url: URL;
  requestId: string;
}

export interface HttpApi {
  /** True for the paths this API answers (e.g. "/v1/files" and below). */
  owns(path: string): boolean;
  /**
   * Answers the request (or throws a GatewayError, which the door turns into OpenAI's error
   * JSON); resolves to the route's name for the request metrics.
   */
  handle(call: HttpApiRequest): Promise<string>;
}
