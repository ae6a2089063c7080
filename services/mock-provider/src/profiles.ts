// Named control profiles, changed while the mock runs: `PUT /_mock/profiles/<name>` with a body
// of controls text sets one (an empty body clears it), and requests under
// `/_mock/profile/<name>/...` take its controls as they are when the request arrives. So one
// deployment's upstream can turn slow, fail and recover in the middle of a run.
import { isProfileName, parseControls } from "./controls.js";
import { jsonReply } from "./http-reply.js";
import type { HttpReply, MockControls } from "./types.js";

export interface ControlProfile {
  name: string;
  /** The controls text as last set, trimmed ("" when none). */
  text: string;
  controls: MockControls;
}

export class ControlProfiles {
  private readonly byName = new Map<string, ControlProfile>();

  /** Sets (or, with blank text, clears) a profile. Throws on bad controls, leaving it as it was. */
  set(name: string, text: string): ControlProfile {
    const trimmed = text.trim();
    const profile = { name, text: trimmed, controls: parseControls(trimmed) };
    if (trimmed === "") this.byName.delete(name);
    else this.byName.set(name, profile);
    return profile;
  }

  /** The profile; an unknown one has no controls. */
  get(name: string): ControlProfile {
    return this.byName.get(name) ?? { name, text: "", controls: {} };
  }
}

/** The answer to `GET` or `PUT /_mock/profiles/<name>` (`body`: the PUT's controls text). */
export function profileRequest(
  profiles: ControlProfiles,
  method: string,
  rawName: string,
  body: string,
): HttpReply {
  const bad = (status: number, message: string, headers: Record<string, string> = {}): HttpReply =>
    jsonReply(status, { error: { message, type: "invalid_request_error" } }, headers);
  let name: string;
  try {
    name = decodeURIComponent(rawName);
  } catch {
    name = "";
  }
  if (!isProfileName(name))
    return bad(400, `Invalid profile name "${rawName}": use 1 to 64 letters, digits, ".", "_" or "-".`);
  if (method === "GET") return jsonReply(200, profiles.get(name));
  if (method !== "PUT")
    return bad(405, `${method} is not allowed here; use GET or PUT.`, { allow: "GET, PUT" });
  try {
    return jsonReply(200, profiles.set(name, body));
  } catch (err) {
    return bad(400, `Invalid mock controls for profile "${name}": ${(err as Error).message}`);
  }
}
