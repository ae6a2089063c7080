// Which limits a request counts against: its key's, its team's, its tenant's, and its key's
// with the first model pattern that matches the model. Scopes with no limit are left out, so a
// request under no limit costs no Redis call at all.
import { modelAllowed } from "@switchyard/common";
import type { Key, Team, Tenant } from "./identity/store.js";
import type { ScopeLimits } from "./limits.js";

export function scopesOf(
  key: Key | undefined,
  team: Team | undefined,
  tenant: Tenant | undefined,
  model: string,
): ScopeLimits[] {
  const out: ScopeLimits[] = [];
  const add = (scope: string, rpm = 0, tpm = 0, concurrency = 0): void => {
    if (rpm > 0 || tpm > 0 || concurrency > 0) out.push({ scope, rpm, tpm, concurrency });
  };
  if (key !== undefined) {
    add(`key:${key.id}`, key.rpm, key.tpm, key.concurrency);
    const pattern = Object.keys(key.modelLimits ?? {}).find((p) => modelAllowed([p], model));
    if (pattern !== undefined) {
      const l = key.modelLimits[pattern]!;
      add(`km:${key.id}:${pattern}`, l.rpm, l.tpm);
    }
  }
  if (team !== undefined)
    add(`team:${team.id}`, team.limits?.rpm, team.limits?.tpm, team.limits?.concurrency);
  if (tenant !== undefined)
    add(`tenant:${tenant.id}`, tenant.limits?.rpm, tenant.limits?.tpm, tenant.limits?.concurrency);
  return out;
}

/**
 * Does any token limit or budget apply to a key (so the doors should count its prompts'
 * tokens: a budget reserves the prompt at the input price)?
 */
export function countsTokens(key: Key, team: Team | undefined, tenant: Tenant | undefined): boolean {
  return (
    key.budget !== undefined ||
    team?.budget !== undefined ||
    tenant?.budget !== undefined ||
    (key.tpm ?? 0) > 0 ||
    Object.values(key.modelLimits ?? {}).some((l) => l.tpm > 0) ||
    (team?.limits?.tpm ?? 0) > 0 ||
    (tenant?.limits?.tpm ?? 0) > 0
  );
}
