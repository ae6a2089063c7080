// Reads a JSON request body with a size limit: 413 past the limit, 400 when it is not JSON.
import type { IncomingMessage } from "node:http";
import { GatewayError } from "@switchyard/common";

export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<unknown> {
  const declared = Number(req.headers["content-length"] ?? "0");
  if (declared > maxBytes) throw tooLarge(maxBytes);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > maxBytes) throw tooLarge(maxBytes);
    chunks.push(chunk);
  }
  if (size === 0) throw new GatewayError("invalid_argument", "the request body is empty; send a JSON object");
  try {
    return JSON.parse(Buffer.concat(chunks).toString("utf8")) as unknown;
  } catch {
    throw new GatewayError("invalid_argument", "the request body is not valid JSON");
  }
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(
    "payload_too_large",
    `the request body is larger than the limit of ${maxBytes} bytes`,
  );
}
