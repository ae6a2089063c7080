// Whose numbers a key may read, by the admin API's rules (services/meter/src/admin/access.ts): a
// key with the `admin` scope reads every tenant, or one it names with `tenant=`; a `tenant_admin`
// key reads only its own tenant, and naming another gets 404, exactly as if that tenant had no
// data at all (tenants are walls: another tenant's data is "not found", never "forbidden"). Other
// keys may not read analytics.
import { GatewayError } from "@switchyard/common";
import type { KeyInfo } from "@switchyard/proto";

/** The tenant a question is limited to; undefined: every tenant (admin keys only). */
export function tenantScope(
  key: Pick<KeyInfo, "tenantId" | "scopes">,
  requested: string | undefined,
): string | undefined {
  if (key.scopes.includes("admin")) return requested;
  if (requested !== undefined && requested !== key.tenantId)
    throw new GatewayError("not_found", `no tenant ${JSON.stringify(requested)}`, { field: "tenant" });
  if (!key.scopes.includes("tenant_admin"))
    throw new GatewayError("permission_denied", "reading analytics needs a tenant_admin or admin key");
  return key.tenantId;
}
