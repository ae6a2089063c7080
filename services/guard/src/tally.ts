// Counts a screening's findings per rule id, as they are found: how many, the strongest action
// taken, and salted hashes of the distinct values (bounded), and the screening's own action.
import { create } from "@bufbuild/protobuf";
import { Action, FindingSchema, type Finding } from "@switchyard/proto";
import { strongest } from "./policy-table.js";
import type { ValueHasher } from "./value-hash.js";

/** Hashes kept per finding: enough to recognise repeats, bounded for a text full of values. */
const MAX_HASHES = 16;
/**
 * Findings of a rule whose values are looked at for hashing: a megabyte of 500,000 findings of
 * one value must not pay for 500,000 HMACs (seconds, past the stage's heartbeat).
 */
const MAX_HASHED = 256;

interface Entry {
  kind: string;
  rule: string;
  count: number;
  action: Action;
  hashes: Set<string>;
  /** The distinct values hashed so far (each is hashed once). */
  seen: Set<string>;
}

export class Tally {
  private readonly entries = new Map<string, Entry>();
  /** The strongest action of the findings so far. */
  action: Action = Action.ALLOW;

  constructor(private readonly hash?: ValueHasher) {}

  /**
   * One finding of `rule` with its action; its value (`text` from `start` to `end`) is hashed
   * if a hasher is set, for the first distinct values among the rule's first findings.
   */
  add(kind: string, rule: string, action: Action, text?: string, start = 0, end = 0): void {
    // Rule ids are unique across kinds: one map lookup per finding, no key to build.
    let e = this.entries.get(rule);
    if (e === undefined)
      this.entries.set(rule, (e = { kind, rule, count: 0, action, hashes: new Set(), seen: new Set() }));
    else e.action = strongest(e.action, action);
    e.count++;
    if (
      text !== undefined &&
      this.hash !== undefined &&
      e.hashes.size < MAX_HASHES &&
      e.count <= MAX_HASHED
    ) {
      const value = text.slice(start, end);
      if (!e.seen.has(value)) {
        e.seen.add(value);
        e.hashes.add(this.hash(value));
      }
    }
    this.action = strongest(this.action, action);
  }

  findings(): Finding[] {
    return [...this.entries.values()].map(({ hashes, seen: _seen, ...f }) =>
      create(FindingSchema, { ...f, valueHashes: [...hashes] }),
    );
  }
}
