// Who may do what through the admin API. A key with the `admin` scope may do everything; a
// `tenant_admin` key everything inside its own tenant; any other active key may read itself and
// ask for a new key in its own tenant and team (it starts pending). Whatever belongs to another
// tenant is answered 404, exactly as if it did not exist, so a tenant cannot learn what others
// have.
import { GatewayError } from "@switchyard/common";
import type { Key } from "../identity/store.js";

export interface Caller {
  key: Key;
  admin: boolean;
  tenantAdmin: boolean;
}

export function callerOf(key: Key): Caller {
  return { key, admin: key.scopes.includes("admin"), tenantAdmin: key.scopes.includes("tenant_admin") };
}

export const notFound = (what: string, id: string): GatewayError =>
  new GatewayError("not_found", `no ${what} ${JSON.stringify(id)}`);

const forbidden = (message: string): GatewayError => new GatewayError("permission_denied", message);

/** May the caller see the tenant's objects at all? Otherwise the object "does not exist". */
export function canSeeTenant(c: Caller, tenant: string): boolean {
  return c.admin || c.key.tenant === tenant;
}

/** Throws unless the caller administers the tenant (404 for another tenant, 403 for a member). */
export function mustAdminister(c: Caller, tenant: string, what: string, id: string): void {
  if (!canSeeTenant(c, tenant)) throw notFound(what, id);
  if (!c.admin && !c.tenantAdmin) throw forbidden(`administering ${what}s needs a tenant_admin or admin key`);
}

export function mustBeAdmin(c: Caller, doing: string): void {
  if (!c.admin) throw forbidden(`${doing} needs an admin key`);
}
