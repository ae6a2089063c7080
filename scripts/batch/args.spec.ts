import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_URL, UsageError, parseCommandLine, parseInterval, parseMetadata } from "./args.js";

const env = { SWITCHYARD_API_KEY: "sk-env" };
const parse = (line: string, e: Record<string, string | undefined> = env) => {
  const invocation = parseCommandLine(line.split(" ").filter(Boolean), e);
  assert.ok(!invocation.help);
  return invocation;
};
const refused = (line: string, pattern: RegExp, e: Record<string, string | undefined> = env) =>
  assert.throws(
    () => parseCommandLine(line.split(" ").filter(Boolean), e),
    (err: unknown) => err instanceof UsageError && err.exitCode === 64 && pattern.test(err.message),
  );

describe("batch CLI arguments", () => {
  it("submit: the file, the default endpoint, metadata pairs and --wait", () => {
    assert.deepEqual(parse("submit in.jsonl").command, {
      name: "submit",
      file: "in.jsonl",
      endpoint: "/v1/chat/completions",
      metadata: {},
      wait: false,
      intervalMs: 1000,
    });
    const { command } = parse(
      "submit in.jsonl --endpoint /v1/embeddings --metadata team=search --metadata q=a=b --wait --interval 250ms",
    );
    assert.deepEqual(command, {
      name: "submit",
      file: "in.jsonl",
      endpoint: "/v1/embeddings",
      metadata: { team: "search", q: "a=b" },
      wait: true,
      intervalMs: 250,
    });
  });

  it("status, wait, download, cancel and list take their own arguments", () => {
    assert.deepEqual(parse("status batch_1 --json").command, {
      name: "status",
      batchId: "batch_1",
      json: true,
    });
    assert.deepEqual(parse("wait batch_1 --interval 2m").command, {
      name: "wait",
      batchId: "batch_1",
      intervalMs: 120_000,
    });
    assert.deepEqual(parse("download batch_1 -o out").command, {
      name: "download",
      batchId: "batch_1",
      outDir: "out",
    });
    assert.deepEqual(parse("download batch_1").command, {
      name: "download",
      batchId: "batch_1",
      outDir: ".",
    });
    assert.deepEqual(parse("cancel batch_1").command, { name: "cancel", batchId: "batch_1" });
    assert.deepEqual(parse("list").command, { name: "list", limit: 20, json: false });
    assert.deepEqual(parse("list --limit 5 --json").command, { name: "list", limit: 5, json: true });
  });

  it("finds the gateway in --url/--key, else the environment, else the local default", () => {
    assert.deepEqual(parse("list").connection, { url: DEFAULT_URL, key: "sk-env" });
    assert.deepEqual(parse("list", { ...env, SWITCHYARD_URL: "https://gw.example/v1/" }).connection, {
      url: "https://gw.example/v1",
      key: "sk-env",
    });
    assert.deepEqual(parse("list --url http://h:9/v1 --key sk-flag").connection, {
      url: "http://h:9/v1",
      key: "sk-flag",
    });
  });

  it("refuses to start without a key and says how to give one", () => {
    refused("status batch_1", /SWITCHYARD_API_KEY.*--key/, {});
    refused("status batch_1", /SWITCHYARD_API_KEY/, { SWITCHYARD_API_KEY: "" });
  });

  it("--help needs nothing else", () => {
    assert.deepEqual(parseCommandLine(["--help"], {}), { help: true });
    assert.deepEqual(parseCommandLine(["status", "-h"], {}), { help: true });
  });

  it("names what is wrong with a command line", () => {
    refused("", /no command/);
    refused("launch x", /unknown command "launch"/);
    refused("status", /status takes <batch_id>, got none/);
    refused("status a b", /status takes <batch_id>, got a b/);
    refused("list extra", /list takes no arguments/);
    refused("status batch_1 --out x", /--out does not apply to status/);
    refused("wait batch_1 --json", /--json does not apply to wait/);
    refused("submit f.jsonl --interval 2s", /--interval applies to submit only with --wait/);
    refused("status batch_1 --colour", /--colour/);
    refused("submit f.jsonl --wait=yes", /--wait/);
    refused("submit f.jsonl --endpoint v1/chat/completions", /give a path/);
    refused("submit f.jsonl --metadata novalue", /key=value/);
    refused("submit f.jsonl --metadata =v", /key=value/);
    refused("submit f.jsonl --metadata a=1 --metadata a=2", /a is given twice/);
    refused("list --limit 0", /1 to 100/);
    refused("list --limit 101", /1 to 100/);
    refused("list --url ftp://h/v1", /not an http/);
    refused("list --url nope", /not a URL/);
  });
});

describe("parseInterval", () => {
  it("reads ms, s, m and h, and a bare number as seconds", () => {
    assert.equal(parseInterval("500ms"), 500);
    assert.equal(parseInterval("1s"), 1000);
    assert.equal(parseInterval("1.5s"), 1500);
    assert.equal(parseInterval("2"), 2000);
    assert.equal(parseInterval("1m"), 60_000);
    assert.equal(parseInterval("1h"), 3_600_000);
  });

  it("refuses what is not a duration, and polling faster than every 100ms", () => {
    for (const text of ["", "s", "1x", "-1s", "1 s", "0", "99ms", "0.05s", "1e3"]) {
      assert.throws(() => parseInterval(text), UsageError, text);
    }
  });
});

describe("parseMetadata", () => {
  it("splits at the first = and keeps empty values", () => {
    assert.deepEqual(parseMetadata(["a=", "b=x=y"]), { a: "", b: "x=y" });
  });
});
