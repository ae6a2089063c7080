// The MOCK provider as a process: config → listen → serve until SIGTERM/SIGINT → close.
import { loadConfig } from "./config.js";
import { startMockProvider } from "./index.js";

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const mock = await startMockProvider(config);
  console.log(`mock-provider listening on ${mock.url}`);
  const stop = (signal: string): void => {
    console.log(`mock-provider: ${signal}, closing`);
    mock.close().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(err);
        process.exit(1);
      },
    );
  };
  process.once("SIGTERM", () => stop("SIGTERM"));
  process.once("SIGINT", () => stop("SIGINT"));
}

main().catch((err: unknown) => {
  console.error("mock-provider failed to start:", err);
  process.exit(1);
});
