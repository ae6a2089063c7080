// grpcurl, built from its Go module (through the Go module proxy) into the git-ignored .tools/
// on first use; later runs reuse it.
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./env.js";

const run = promisify(execFile);
const VERSION = "v1.9.3";

export async function ensureGrpcurl(): Promise<string> {
  const bin = join(repoRoot(), ".tools", "bin");
  const exe = join(bin, "grpcurl");
  if (!existsSync(exe)) {
    await run("go", ["install", `github.com/fullstorydev/grpcurl/cmd/grpcurl@${VERSION}`], {
      env: { ...process.env, GOBIN: bin, GOFLAGS: "-mod=mod" },
      timeout: 300_000,
    });
  }
  return exe;
}

export async function grpcurl(args: string[]): Promise<string> {
  const { stdout } = await run(await ensureGrpcurl(), args, { timeout: 30_000 });
  return stdout;
}
