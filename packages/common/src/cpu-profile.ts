// Optional CPU profiling of a service: with SWITCHYARD_CPU_PROFILE=<file>, V8's sampling
// profiler runs from start to shutdown and the profile (.cpuprofile, readable by Chrome
// DevTools) is written on drain. Lets an SRE or the benchmark see where a stage's CPU goes.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

export interface CpuProfiler {
  /** Stops profiling and writes the file; a no-op when profiling is off. */
  save(): Promise<void>;
}

/**
 * Samples every 10 ms rather than V8's default 1 ms: the sampler thread wakes at that rate even
 * when the process is idle, which at 1 ms cost each idle service ~4% of a core and distorted the
 * benchmark's CPU per request. A run of minutes still gives tens of thousands of samples.
 */
const SAMPLING_INTERVAL_US = 10_000;

export async function startCpuProfile(file: string | undefined): Promise<CpuProfiler> {
  if (file === undefined || file === "") return { save: () => Promise.resolve() };
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.setSamplingInterval", { interval: SAMPLING_INTERVAL_US });
  await session.post("Profiler.start");
  return {
    async save() {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
