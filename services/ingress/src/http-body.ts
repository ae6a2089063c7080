// Reads a request body with a size limit (413 past it) and parses it as JSON (400 when it is not).
import type { IncomingMessage } from "node:http";
import { GatewayError } from "@switchyard/common";

/** The body's bytes: 413 past the limit (see readAtMost). */
export function readBody(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return readAtMost(req, maxBytes);
}

/** The body as JSON: 400 when empty or not JSON. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0)
    throw new GatewayError("invalid_argument", "the request body is empty; send a JSON object");
  try {
    return JSON.parse(body.toString("utf8")) as unknown;
  } catch {
    throw new GatewayError("invalid_argument", "the request body is not valid JSON");
  }
}

/**
 * The whole body, or payload_too_large past `maxBytes`. Past the limit the rest of the body is
 * read and dropped rather than left unread: closing a socket with unread bytes resets it, and a
 * client still sending would get ECONNRESET instead of the 413. The server closes connections
 * that keep sending long after the answer (see `dropRestOfBody`).
 */
function readAtMost(req: IncomingMessage, maxBytes: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers["content-length"] ?? "0");
    const chunks: Buffer[] = [];
    let size = 0;
    const overflow = (): void => {
      req.off("data", onData).off("end", onEnd).off("error", reject);
      req.resume();
      reject(tooLarge(maxBytes));
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > maxBytes) overflow();
      else chunks.push(chunk);
    };
    const onEnd = (): void => resolve(Buffer.concat(chunks));
    if (declared > maxBytes) return overflow();
    req.on("data", onData).once("end", onEnd).once("error", reject);
  });
}

function tooLarge(maxBytes: number): GatewayError {
  return new GatewayError(
    "payload_too_large",
    `the request body is larger than the limit of ${maxBytes} bytes`,
  );
}
