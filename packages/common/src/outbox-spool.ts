// The file-backed part of the event outbox: batches that could not be published (NATS away)
// wait here, one file each, and are replayed oldest first. Each process owns a folder of its
// own (<dir>/<pid>); a folder left by a process that is gone is adopted by the next one that
// looks, so a crash during an outage loses nothing that reached the disk.
import {
  mkdirSync,
  readFileSync,
  readdirSync,
  renameSync,
  rmSync,
  rmdirSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";

export interface SpooledBatch {
  file: string;
  subject: string;
  msgId: string;
  data: Uint8Array;
}

export interface Spool {
  /** Writes a batch; false when the spool is full (the batch is not kept). */
  add(subject: string, msgId: string, data: Uint8Array): boolean;
  /** Spooled batches, oldest first (this process's and those adopted from dead ones). */
  list(): SpooledBatch[];
  remove(batch: SpooledBatch): void;
  bytes(): number;
  readonly count: number;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
};

// A file: [u16 subject length][subject][u16 id length][id][payload].
function encode(subject: string, msgId: string, data: Uint8Array): Buffer {
  const s = Buffer.from(subject);
  const id = Buffer.from(msgId);
  const head = Buffer.alloc(4 + s.length + id.length);
  head.writeUInt16BE(s.length, 0);
  s.copy(head, 2);
  head.writeUInt16BE(id.length, 2 + s.length);
  id.copy(head, 4 + s.length);
  return Buffer.concat([head, data]);
}

function decode(file: string, buf: Buffer): SpooledBatch {
  const sl = buf.readUInt16BE(0);
  const subject = buf.subarray(2, 2 + sl).toString();
  const il = buf.readUInt16BE(2 + sl);
  const msgId = buf.subarray(4 + sl, 4 + sl + il).toString();
  return { file, subject, msgId, data: buf.subarray(4 + sl + il) };
}

export function openSpool(root: string, maxBytes: number): Spool {
  const own = join(root, String(process.pid));
  mkdirSync(own, { recursive: true });
  let seq = 0;
  let total = 0;
  let count = 0;
  const sizes = new Map<string, number>();

  /** Moves the batches of processes that are gone into this process's folder. */
  function adopt(): void {
    for (const name of readdirSync(root)) {
      const pid = Number(name);
      if (!Number.isInteger(pid) || pid === process.pid || isAlive(pid)) continue;
      const dir = join(root, name);
      for (const file of readdirSync(dir)) {
        if (!file.endsWith(".batch")) continue;
        const to = join(own, `${file.slice(0, -".batch".length)}-${name}.batch`);
        renameSync(join(dir, file), to);
        const size = statSync(to).size;
        sizes.set(to, size);
        total += size;
        count++;
      }
      rmSync(dir, { recursive: true, force: true });
    }
  }

  adopt();
  return {
    add(subject, msgId, data) {
      const bytes = encode(subject, msgId, data);
      if (total + bytes.length > maxBytes) return false;
      // Zero-padded time and sequence: names sort oldest first.
      const file = join(
        own,
        `${Date.now().toString().padStart(15, "0")}-${String(seq++).padStart(9, "0")}.batch`,
      );
      writeFileSync(`${file}.tmp`, bytes);
      renameSync(`${file}.tmp`, file);
      sizes.set(file, bytes.length);
      total += bytes.length;
      count++;
      return true;
    },
    list() {
      adopt();
      return readdirSync(own)
        .filter((f) => f.endsWith(".batch"))
        .sort()
        .map((f) => decode(join(own, f), readFileSync(join(own, f))));
    },
    remove(batch) {
      rmSync(batch.file, { force: true });
      total -= sizes.get(batch.file) ?? 0;
      if (sizes.delete(batch.file)) count--;
    },
    bytes: () => total,
    get count() {
      return count;
    },
  };
}

/** Removes this process's spool folder when it is empty (a clean shutdown). */
export function removeEmptySpool(root: string): void {
  try {
    rmdirSync(join(root, String(process.pid)));
  } catch {
    // not empty, or already gone
  }
}
