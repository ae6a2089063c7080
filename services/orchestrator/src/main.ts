// Orchestrator: will run the Temporal worker for chains and batches. This first version holds
// the Temporal connection and reports readiness from Temporal's health service.
import { Connection } from "@temporalio/client";
import { exitOnFatal, runService } from "@switchyard/common";
import { loadConfig } from "./config.js";

runService({
  name: "orchestrator",
  loadConfig,
  start: ({ config, log }) => {
    let connection: Connection | undefined;
    let serving = false;
    const probe = async (): Promise<void> => {
      try {
        connection ??= await Connection.connect({ address: config.temporalAddress, connectTimeout: 2_000 });
        const res = await connection.healthService.check({});
        serving = Number(res.status) === 1; // grpc.health.v1 SERVING
      } catch (err) {
        if (serving) log.warn({ err: (err as Error).message }, "temporal unreachable");
        serving = false;
      }
    };
    void probe();
    const timer = setInterval(() => void probe(), 2_000);
    return Promise.resolve({
      readiness: { temporal: () => serving || "unreachable" },
      stop: async () => {
        clearInterval(timer);
        await connection?.close();
      },
    });
  },
}).catch(exitOnFatal("orchestrator"));
