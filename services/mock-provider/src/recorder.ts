// Ring buffer of the last N requests the mock saw.
import type { MockRequestRecord } from "./types.js";

export class RequestRecorder {
  private readonly items: MockRequestRecord[] = [];
  private nextId = 1;

  constructor(private readonly capacity = 1000) {}

  start(fields: Omit<MockRequestRecord, "id" | "startedAt" | "outcome" | "status">): MockRequestRecord {
    const record: MockRequestRecord = {
      id: this.nextId++,
      ...fields,
      startedAt: new Date().toISOString(),
      outcome: "in_flight",
      status: undefined,
    };
    this.items.push(record);
    if (this.items.length > this.capacity) this.items.shift();
    return record;
  }

  list(filter: { marker?: string } = {}): MockRequestRecord[] {
    return this.items
      .filter((r) => filter.marker === undefined || r.marker === filter.marker)
      .map((r) => ({ ...r, controls: { ...r.controls } }));
  }

  clear(): void {
    this.items.length = 0;
  }
}
