// AWS Signature V4 verification for the Bedrock mock: re-sign the request exactly as received
// (method, raw path incl. the /bedrock prefix, query, the headers named in SignedHeaders, body)
// with the mock credentials and compare signatures.
import { createHash, timingSafeEqual } from "node:crypto";
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface SigV4Request {
  method: string;
  /** Raw request path as received (still percent-encoded), without the query. */
  path: string;
  query: URLSearchParams;
  headers: Record<string, string | string[] | undefined>;
  body: Uint8Array;
}

export type SigV4Failure = { type: string; message: string };

const AUTH =
  /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;

function header(headers: SigV4Request["headers"], name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(",") : v;
}

function parseAmzDate(text: string): Date | undefined {
  const m = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(text);
  if (!m) return undefined;
  return new Date(Date.UTC(+m[1]!, +m[2]! - 1, +m[3]!, +m[4]!, +m[5]!, +m[6]!));
}

export async function verifySigV4(
  req: SigV4Request,
  creds: AwsCredentials,
  expect: { region: string; service: string },
): Promise<SigV4Failure | undefined> {
  const auth = header(req.headers, "authorization");
  if (!auth) return { type: "MissingAuthenticationTokenException", message: "Missing Authentication Token" };
  const m = AUTH.exec(auth.trim());
  if (!m) {
    return {
      type: "IncompleteSignatureException",
      message: "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.",
    };
  }
  const [, accessKey, shortDate, region, service, signedHeaders, signature] = m as unknown as string[];
  if (accessKey !== creds.accessKeyId) {
    return {
      type: "UnrecognizedClientException",
      message: "The security token included in the request is invalid.",
    };
  }
  if (region !== expect.region || service !== expect.service) {
    return {
      type: "InvalidSignatureException",
      message: `Credential should be scoped to a valid region and service: expected ${expect.region}/${expect.service}.`,
    };
  }
  const amzDate = header(req.headers, "x-amz-date");
  const date = amzDate ? parseAmzDate(amzDate) : undefined;
  if (!date || amzDate?.slice(0, 8) !== shortDate) {
    return { type: "IncompleteSignatureException", message: "Missing or invalid X-Amz-Date header." };
  }
  const names = (signedHeaders ?? "").split(";");
  if (!names.includes("host")) {
    return { type: "InvalidSignatureException", message: "'Host' must be a signed header." };
  }
  const claimedHash = header(req.headers, "x-amz-content-sha256");
  const bodyHash = createHash("sha256").update(req.body).digest("hex");
  if (claimedHash !== undefined && claimedHash !== "UNSIGNED-PAYLOAD" && claimedHash !== bodyHash) {
    return {
      type: "InvalidSignatureException",
      message: "The provided 'x-amz-content-sha256' header does not match what was computed.",
    };
  }

  const headers: Record<string, string> = {};
  for (const name of names) {
    const v = header(req.headers, name);
    if (v !== undefined) headers[name] = v;
  }
  const query: Record<string, string | string[]> = {};
  for (const key of new Set(req.query.keys())) {
    const all = req.query.getAll(key);
    query[key] = all.length === 1 ? all[0]! : all;
  }
  const host = headers.host ?? "";
  const signer = new SignatureV4({
    credentials: creds,
    region: expect.region,
    service: expect.service,
    sha256: Sha256,
    applyChecksum: claimedHash !== undefined,
  });
  const signed = await signer.sign(
    {
      method: req.method,
      protocol: "http:",
      hostname: host.replace(/:\d+$/, ""),
      path: req.path,
      query,
      headers,
      body: req.body,
    },
    { signingDate: date, signableHeaders: new Set(names) },
  );
  const expected = /Signature=([0-9a-f]{64})/.exec(String(signed.headers.authorization))?.[1] ?? "";
  const a = Buffer.from(expected);
  const b = Buffer.from(signature ?? "");
  if (a.length !== b.length || !timingSafeEqual(a, b)) {
    return {
      type: "InvalidSignatureException",
      message:
        "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
    };
  }
  return undefined;
}
