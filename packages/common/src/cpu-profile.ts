// Optional CPU profiling of a service: with SWITCHYARD_CPU_PROFILE=<file>, V8's sampling
// profiler runs from start to shutdown and the profile (.cpuprofile, readable by Chrome
// DevTools) is written on drain. Lets an SRE or the benchmark see where a stage's CPU goes.
import { writeFileSync } from "node:fs";
import { Session } from "node:inspector/promises";

export interface CpuProfiler {
  /** Stops profiling and writes the file; a no-op when profiling is off. */
  save(): Promise<void>;
}

export async function startCpuProfile(file: string | undefined): Promise<CpuProfiler> {
  if (file === undefined || file === "") return { save: () => Promise.resolve() };
  const session = new Session();
  session.connect();
  await session.post("Profiler.enable");
  await session.post("Profiler.start");
  return {
    async save() {
      const { profile } = await session.post("Profiler.stop");
      writeFileSync(file, JSON.stringify(profile));
      session.disconnect();
    },
  };
}
