// `npm test`: lint, typecheck/build, the protobuf regenerate-and-diff check, then every unit
// and integration test against a test stack on its own free ports (never those of `npm start`),
// which is torn down at the end. Exits non-zero on any failure.
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { ensureTestTools, freePorts, repoRoot, startStack } from "@switchyard/local-stack";

const root = repoRoot();
const log = (line: string): void => console.log(`[test] ${line}`);

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<number> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: "inherit", env: { ...process.env, ...env } });
    child.once("exit", (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}

async function step(name: string, cmd: string, args: string[]): Promise<void> {
  const t0 = Date.now();
  log(`${name}…`);
  const code = await run(cmd, args);
  if (code !== 0) {
    console.error(`[test] ${name} failed (exit ${code})`);
    process.exit(code);
  }
  log(`${name} ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
}

function findTests(dir: string, pattern: RegExp, out: string[] = []): string[] {
  for (const name of readdirSync(dir)) {
    if (name === "node_modules" || name === "dist" || name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) findTests(path, pattern, out);
    else if (pattern.test(name)) out.push(relative(root, path));
  }
  return out;
}

async function main(): Promise<void> {
  const bin = (name: string): string => join(root, "node_modules", ".bin", name);
  // `npm test -- <files>` runs only those files (after the build), for a quick loop while working.
  const only = process.argv.slice(2);
  if (only.length === 0) {
    await step("lint", "npm", ["run", "--silent", "lint"]);
    await step("typecheck and build", bin("tsc"), ["-b"]);
    await step("protobuf check", bin("tsx"), ["--conditions=source", "scripts/proto-check.ts"]);
  } else await step("typecheck and build", bin("tsc"), ["-b"]);
  await ensureTestTools({ log });

  const dataDir = mkdtempSync(join(tmpdir(), "switchyard-test-"));
  const ports = await freePorts();
  log("starting the test stack on free ports");
  const stack = await startStack({ ports, dataDir, log });
  let code = 1;
  try {
    const files =
      only.length > 0
        ? only
        : [
            ...["packages", "services", "deploy", "bench", "scripts"].flatMap((d) =>
              findTests(join(root, d), /\.spec\.ts$/),
            ),
            ...findTests(join(root, "test"), /\.test\.ts$/),
          ].sort();
    log(`running ${files.length} test files`);
    code = await run(
      process.execPath,
      ["--import", "tsx", "--conditions=source", "--test", "--test-reporter=spec", ...files],
      {
        SWITCHYARD_TEST_NATS_URL: stack.urls.nats,
        SWITCHYARD_TEST_REDIS_URL: stack.urls.redis,
        SWITCHYARD_TEST_CLICKHOUSE_URL: stack.urls.clickhouse,
        SWITCHYARD_TEST_TEMPORAL_ADDRESS: stack.urls.temporal,
        // JetStream reserves a Responses store's whole size (1 GiB by default) while it exists,
        // and tests start ingresses by the dozen: 64 MiB each keeps the run far from NATS's limit.
        SWITCHYARD_RESPONSES_MAX_BYTES: String(64 * 1024 * 1024),
      },
    );
  } finally {
    log("stopping the test stack");
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
  process.exit(code);
}

main().catch((err: unknown) => {
  console.error(`[test] ${(err as Error).stack ?? String(err)}`);
  process.exit(1);
});
