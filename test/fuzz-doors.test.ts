// Random and mutated inputs to every gRPC method and to the HTTP door: every answer is a proper
// one, no process crashes, ingress's memory stays bounded. A larger run (`npm run fuzz`, 100,000
// inputs per door) is in docs/reliability.md.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { fuzzGrpc, fuzzHttp, type DoorTally } from "@switchyard/reliability/fuzz";
import { KEYS, startGateway, type GatewayUnderTest } from "./harness/gateway.js";

const INPUTS = Number(process.env.FUZZ_INPUTS ?? 1500);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);

const rssMb = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) / 1024;

describe("fuzzing the doors", () => {
  let gw: GatewayUnderTest;
  let ingressPid: number;
  before(async () => {
    // Every stage inline: the most inputs per second, and every stage's code still runs.
    gw = await startGateway({
      replicas: { guard: 0, router: 0, meter: 0, provider: 0 },
      env: { SWITCHYARD_INLINE_STAGES: "guard,router,meter,provider" },
    });
    ingressPid = gw.procs("ingress")[0]!.child.pid!;
  });
  after(() => gw?.stop());

  const check = (t: DoorTally): void => {
    console.log(`${t.door}: ${t.inputs} inputs in ${t.ms} ms, answers ${JSON.stringify(t.answers)}`);
    assert.equal(t.failed, 0, `improper answers:\n${t.failures.join("\n")}`);
    assert.equal(gw.procs("ingress")[0]!.child.exitCode, null, "ingress is still running");
    assert.equal(gw.procs("ingress")[0]!.child.pid, ingressPid, "the same ingress process");
  };

  it("answers every gRPC input with a proper status", async () => {
    const before = rssMb(ingressPid);
    check(await fuzzGrpc(gw.grpcAddress, { inputs: INPUTS, seed: SEED, key: KEYS.dev }));
    assert.ok(
      rssMb(ingressPid) < before + 200,
      `ingress RSS ${before.toFixed(0)} → ${rssMb(ingressPid).toFixed(0)} MB`,
    );
  });

  it("answers every HTTP input with a proper status and body", async () => {
    const before = rssMb(ingressPid);
    check(await fuzzHttp(gw.httpUrl.replace(/\/v1$/, ""), { inputs: INPUTS, seed: SEED, key: KEYS.dev }));
    assert.ok(
      rssMb(ingressPid) < before + 200,
      `ingress RSS ${before.toFixed(0)} → ${rssMb(ingressPid).toFixed(0)} MB`,
    );
  });
});
