// The writer's Prometheus metrics, on the service's side server.
import { Counter, Gauge, Histogram, type Registry } from "prom-client";

export type WriterMetrics = ReturnType<typeof writerMetrics>;

export function writerMetrics(registry: Registry) {
  const registers = [registry];
  return {
    rows: new Counter({
      name: "switchyard_analytics_rows_written_total",
      help: "Rows inserted into ClickHouse, by table",
      labelNames: ["table"] as const,
      registers,
    }),
    duplicates: new Counter({
      name: "switchyard_analytics_duplicates_skipped_total",
      help: "Events not inserted because ClickHouse (or the same batch) already held their row, by table",
      labelNames: ["table"] as const,
      registers,
    }),
    batches: new Counter({
      name: "switchyard_analytics_batches_total",
      help: "Batch write attempts, by outcome (written, failed)",
      labelNames: ["outcome"] as const,
      registers,
    }),
    insertSeconds: new Histogram({
      name: "switchyard_analytics_insert_duration_seconds",
      help: "Time to write one batch to ClickHouse (existing-row lookup and inserts)",
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    batchRows: new Histogram({
      name: "switchyard_analytics_batch_rows",
      help: "Events per batch written",
      buckets: [1, 10, 100, 500, 1000, 2500, 5000, 10000],
      registers,
    }),
    invalid: new Counter({
      name: "switchyard_analytics_invalid_messages_total",
      help: "JetStream messages that could not be decoded (terminated, not retried)",
      registers,
    }),
    lag: new Gauge({
      name: "switchyard_analytics_consumer_lag",
      help: "Events-stream messages not yet acknowledged by analytics (num_pending + num_ack_pending)",
      registers,
    }),
    clickhouseUp: new Gauge({
      name: "switchyard_analytics_clickhouse_up",
      help: "1 while the last ClickHouse write or probe succeeded",
      registers,
    }),
    partitionsDropped: new Counter({
      name: "switchyard_analytics_partitions_dropped_total",
      help: "Monthly partitions dropped by retention, by table",
      labelNames: ["table"] as const,
      registers,
    }),
  };
}
