// Which files a Files API list shows: a tenant's live files, by creation time then id, after
// OpenAI's `after` cursor (a file id), at most `limit`. Pure, so the store only fetches.
import { GatewayError } from "../errors.js";
import type { FileListOptions, StoredFile } from "./file-store.js";

/** True once the file's expiry time has come (it then reads as missing). */
export function isExpired(file: Pick<StoredFile, "expiresAt">, nowSeconds: number): boolean {
  return file.expiresAt !== null && file.expiresAt <= nowSeconds;
}

/** Oldest first: by creation time, then by id (files created in the same second). */
export function compareFiles(
  a: Pick<StoredFile, "createdAt" | "id">,
  b: Pick<StoredFile, "createdAt" | "id">,
): number {
  if (a.createdAt !== b.createdAt) return a.createdAt - b.createdAt;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

/**
 * The page of `tenantId`'s files `opts` asks for, out of every file in the store. The `after`
 * file places the cursor even when the purpose filter or its expiry hides it; one the tenant does
 * not have (never had, or deleted) is a 400 naming `after`, rather than a silent first page that
 * would send a paginating client round in circles.
 */
export function listPage(
  files: readonly StoredFile[],
  tenantId: string,
  opts: FileListOptions,
  nowSeconds: number,
): StoredFile[] {
  const own = files.filter((f) => f.tenantId === tenantId);
  const direction = opts.order === "asc" ? 1 : -1;
  let cursor: StoredFile | undefined;
  if (opts.after !== undefined) {
    cursor = own.find((f) => f.id === opts.after);
    if (cursor === undefined) {
      throw new GatewayError("invalid_argument", `\`after\` names no file of yours: ${opts.after}`, {
        field: "after",
      });
    }
  }
  return own
    .filter(
      (f) =>
        (opts.purpose === undefined || f.purpose === opts.purpose) &&
        !isExpired(f, nowSeconds) &&
        (cursor === undefined || direction * compareFiles(f, cursor) > 0),
    )
    .sort((a, b) => direction * compareFiles(a, b))
    .slice(0, opts.limit);
}
