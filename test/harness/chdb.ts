// A current ClickHouse for tests, embedded: chDB (the ClickHouse engine as a library, installed
// from PyPI into .venv by the local stack's installer) driven through test/harness/chdb-runner.py.
// `client` answers the few @clickhouse/client calls the analytics code makes (command, query →
// json, insert JSONEachRow), so the real migrations, writer inserts, lookups, retention and
// query API run on it unchanged — everything but the HTTP transport.
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import { createInterface } from "node:readline";
import type { ClickHouseClient } from "@clickhouse/client";
import { repoRoot, tempDir } from "./env.js";

interface Answer {
  id: number;
  ok: boolean;
  text?: string;
  error?: string;
}

export interface Chdb {
  /** The engine's version, e.g. "26.9.2.1". */
  version: string;
  sql(sql: string, format?: string): Promise<string>;
  client: ClickHouseClient;
  close(): Promise<void>;
}

export async function startChdb(): Promise<Chdb> {
  const proc: ChildProcessWithoutNullStreams = spawn(
    join(repoRoot(), ".venv", "bin", "python"),
    [join(repoRoot(), "test", "harness", "chdb-runner.py"), tempDir("chdb")],
    { stdio: ["pipe", "pipe", "pipe"] },
  );
  let stderr = "";
  proc.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
  const waiting = new Map<number, (a: Answer) => void>();
  createInterface({ input: proc.stdout }).on("line", (line) => {
    const a = JSON.parse(line) as Answer;
    waiting.get(a.id)?.(a);
    waiting.delete(a.id);
  });
  const answer = (id: number): Promise<Answer> =>
    new Promise((resolve, reject) => {
      waiting.set(id, resolve);
      proc.once("exit", (code) => reject(new Error(`chDB exited (${code}): ${stderr}`)));
    });
  const hello = await answer(0);
  let next = 1;
  async function sql(text: string, format?: string): Promise<string> {
    const id = next++;
    const pending = answer(id);
    proc.stdin.write(`${JSON.stringify({ id, sql: text, format })}\n`);
    const a = await pending;
    if (!a.ok) throw new Error(`${a.error}\n  in: ${text.slice(0, 300)}`);
    return a.text ?? "";
  }
  const lines = (text: string): Record<string, unknown>[] =>
    text
      .split("\n")
      .filter((l) => l !== "")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  const client = {
    command: async ({ query }: { query: string }) => {
      await sql(query);
      return {};
    },
    query: async ({ query, format }: { query: string; format?: string }) => {
      const text = await sql(query, format ?? "JSONEachRow");
      return { json: <T>() => Promise.resolve(lines(text) as T[]) };
    },
    insert: async ({ table, values }: { table: string; values: readonly unknown[] }) => {
      await sql(
        `INSERT INTO ${table} FORMAT JSONEachRow\n${values.map((v) => JSON.stringify(v)).join("\n")}`,
      );
      return {};
    },
  } as unknown as ClickHouseClient;
  return {
    version: hello.text ?? "",
    sql,
    client,
    close: async () => {
      proc.stdin.end();
      await new Promise((resolve) => proc.once("exit", resolve));
    },
  };
}
