// `wait`: poll a batch until it ends. On a terminal, one progress bar redrawn in place; in a log,
// one line per change of status. A gateway that stops answering for a while is waited out.
import { setTimeout as sleep } from "node:timers/promises";
import { isFinal, type BatchObject } from "./batch-object.js";
import { ApiError, type BatchApi } from "./client.js";
import { progressLine, statusChangeLine } from "./render.js";

/** How long the gateway may fail (no answer, 429, 5xx) in a row before `wait` gives up. */
export const OUTAGE_LIMIT_MS = 60_000;

export interface ProgressOutput {
  isTTY?: boolean;
  write(text: string): unknown;
}

export async function waitForBatch(
  api: BatchApi,
  id: string,
  intervalMs: number,
  out: ProgressOutput = process.stderr,
): Promise<BatchObject> {
  const tty = out.isTTY === true;
  let barShown = false; // the cursor is at the end of a progress bar
  const say = (line: string): void => {
    out.write(`${barShown ? "\n" : ""}${line}\n`);
    barShown = false;
  };
  // Ctrl-C stops the waiting, not the batch: say so, on a line of its own.
  const interrupted = (): void => {
    say(`stopped waiting; ${id} goes on (\`npm run batch -- cancel ${id}\` stops it)`);
    process.exit(130);
  };
  process.once("SIGINT", interrupted);
  let lastStatus: string | undefined;
  let failingSince: number | undefined;
  try {
    for (;;) {
      let batch: BatchObject;
      try {
        batch = await api.getBatch(id);
        failingSince = undefined;
      } catch (err) {
        if (!(err instanceof ApiError) || !err.retryable) throw err;
        failingSince ??= Date.now();
        if (Date.now() - failingSince >= OUTAGE_LIMIT_MS) throw err;
        say(`${String(err)}; asking again`);
        await sleep(intervalMs);
        continue;
      }
      if (tty) {
        // \x1b[K clears what a longer line before left behind.
        out.write(`\r${progressLine(batch)}\x1b[K`);
        barShown = true;
      } else if (batch.status !== lastStatus) say(statusChangeLine(batch));
      lastStatus = batch.status;
      if (isFinal(batch.status)) return batch;
      await sleep(intervalMs);
    }
  } finally {
    process.off("SIGINT", interrupted);
    if (barShown) out.write("\n");
  }
}
