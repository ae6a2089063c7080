// The x-switchyard-guard header: what the guard did, e.g.
// "input.email=tokenize, input.prompt_injection=flag, output.secret=redact", or "none" when it
// screened and found nothing. A stream's header is sent before its answer is screened, so it
// names the prompt's findings only; the answer's are in its usage event and guard verdict.
import { guardActionName } from "@switchyard/common";
import type { GuardResult } from "@switchyard/proto";

export function guardHeader(input?: GuardResult, output?: GuardResult): Record<string, string> {
  if (input === undefined && output === undefined) return {};
  const entries: string[] = [];
  const add = (direction: string, result: GuardResult | undefined) => {
    for (const f of result?.findings ?? [])
      entries.push(`${direction}.${f.kind}=${guardActionName(f.action)}`);
  };
  add("input", input);
  add("output", output);
  return { "x-switchyard-guard": entries.length > 0 ? [...new Set(entries)].join(", ") : "none" };
}
