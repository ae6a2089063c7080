// A JSON Web Token is three base64url segments whose first, decoded, is a JSON header naming
// its algorithm. Shape alone ("ey….ey….…") also matches base64 of any JSON; the header decides.

/** Whether the token's first segment decodes to a JSON object with a string `alg`. */
export function jwtHeaderValid(token: string): boolean {
  const header = token.slice(0, token.indexOf("."));
  try {
    const parsed: unknown = JSON.parse(Buffer.from(header, "base64url").toString("utf8"));
    return (
      typeof parsed === "object" && parsed !== null && typeof (parsed as { alg?: unknown }).alg === "string"
    );
  } catch {
    return false;
  }
}
