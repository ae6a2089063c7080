// SigV4 for Bedrock Runtime (service "bedrock"), over exactly the URL, host and body sent.
// @smithy/signature-v4 is the AWS SDK's own signer; @aws-crypto/sha256-js its hash.
import { Sha256 } from "@aws-crypto/sha256-js";
import { SignatureV4 } from "@smithy/signature-v4";
import { GatewayError } from "@switchyard/common";
import type { UpstreamRequest, UpstreamTarget } from "../adapter.js";

export async function signBedrockRequest(
  url: string,
  body: string,
  headers: Record<string, string>,
  target: UpstreamTarget,
  signingDate?: Date,
): Promise<UpstreamRequest> {
  if (target.apiKey === "" || target.secretKey === "" || target.region === "") {
    throw new GatewayError(
      "internal",
      "the Bedrock provider needs an access key id, a secret access key and a region",
    );
  }
  const u = new URL(url);
  const signer = new SignatureV4({
    service: "bedrock",
    region: target.region,
    credentials: { accessKeyId: target.apiKey, secretAccessKey: target.secretKey },
    sha256: Sha256,
  });
  const signed = await signer.sign(
    {
      method: "POST",
      protocol: u.protocol,
      hostname: u.hostname,
      port: u.port === "" ? undefined : Number(u.port),
      // The path as it goes on the wire (model id already percent-encoded); the signer encodes
      // it once more for the canonical request, as AWS expects for every service but S3.
      path: u.pathname,
      query: {},
      headers: { ...headers, host: u.host },
      body,
    },
    signingDate === undefined ? {} : { signingDate },
  );
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(signed.headers)) out[name.toLowerCase()] = String(value);
  return { url, method: "POST", headers: out, body };
}
