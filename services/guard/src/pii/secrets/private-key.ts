// A PEM private key block: BEGIN and END lines with the same label, and a body of base64 (and
// the "Proc-Type:" / "DEK-Info:" headers of an encrypted key) between them.

const BEGIN = "-----BEGIN ";
const END = "-----END ";

/** The label between "-----BEGIN " or "-----END " and the next "-----" at `at`, upper case. */
function label(block: string, at: number, marker: string): string | undefined {
  if (
    !block
      .slice(at, at + marker.length)
      .toUpperCase()
      .startsWith(marker)
  )
    return undefined;
  const end = block.indexOf("-----", at + marker.length);
  return end < 0 ? undefined : block.slice(at + marker.length, end).toUpperCase();
}

/** Whether the block's BEGIN and END labels match and its body holds at least 64 base64 characters. */
export function privateKeyBlockValid(block: string): boolean {
  const begin = label(block, 0, BEGIN);
  const endAt = block.toUpperCase().lastIndexOf(END);
  if (begin === undefined || endAt < 0 || label(block, endAt, END) !== begin) return false;
  let base64 = 0;
  for (let i = BEGIN.length + begin.length + 5; i < endAt; i++) {
    const c = block[i]!;
    if ((c >= "A" && c <= "Z") || (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c === "+" || c === "/")
      base64++;
  }
  return base64 >= 64;
}
