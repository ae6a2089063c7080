// A client that goes away mid-stream: opens a long stream through the gateway, reads the first
// chunk, aborts, and reports how the MOCK provider saw the upstream call end.
import { setTimeout as sleep } from "node:timers/promises";
import { KEYS, type GatewayUnderTest } from "./gateway.js";

export async function dropStreamAfterFirstChunk(
  gw: GatewayUnderTest,
  marker: string,
  requestId: string,
): Promise<string> {
  const aborter = new AbortController();
  const res = await fetch(`${gw.httpUrl}/chat/completions`, {
    method: "POST",
    headers: {
      authorization: `Bearer ${KEYS.dev}`,
      "content-type": "application/json",
      "x-request-id": requestId,
    },
    body: JSON.stringify({
      model: "mock-gpt",
      stream: true,
      messages: [{ role: "user", content: `long [mock:words=200,gap=50] [marker:${marker}]` }],
    }),
    signal: aborter.signal,
  });
  await res.body!.getReader().read();
  aborter.abort();
  let outcome = "";
  for (let i = 0; i < 50 && outcome !== "client_closed"; i++) {
    await sleep(100);
    outcome = gw.mock.requests().find((r) => r.marker === marker)?.outcome ?? "";
  }
  return outcome;
}
