// Counts a screening's findings per rule id, as they are found: how many, the strongest action
// taken, and salted hashes of the distinct values (bounded), and the screening's own action.
import { create } from "@bufbuild/protobuf";
import { Action, FindingSchema, type Finding } from "@switchyard/proto";
import { strongest } from "./policy-table.js";
import type { ValueHasher } from "./value-hash.js";

/** Hashes kept per finding: enough to recognise repeats, bounded for a text full of values. */
const MAX_HASHES = 16;

interface Entry {
  kind: string;
  rule: string;
  count: number;
  action: Action;
  hashes: Set<string>;
}

export class Tally {
  private readonly entries = new Map<string, Entry>();
  /** The strongest action of the findings so far. */
  action: Action = Action.ALLOW;

  constructor(private readonly hash?: ValueHasher) {}

  /** One finding of `rule` with its action; `value` (the matched text) is hashed if a hasher is set. */
  add(kind: string, rule: string, action: Action, value?: string): void {
    // Rule ids are unique across kinds: one map lookup per finding, no key to build.
    let e = this.entries.get(rule);
    if (e === undefined) this.entries.set(rule, (e = { kind, rule, count: 0, action, hashes: new Set() }));
    else e.action = strongest(e.action, action);
    e.count++;
    if (value !== undefined && this.hash !== undefined && e.hashes.size < MAX_HASHES)
      e.hashes.add(this.hash(value));
    this.action = strongest(this.action, action);
  }

  findings(): Finding[] {
    return [...this.entries.values()].map(({ hashes, ...f }) =>
      create(FindingSchema, { ...f, valueHashes: [...hashes] }),
    );
  }
}
