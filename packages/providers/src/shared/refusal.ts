// Which refusals another deployment may not repeat: a prompt longer than the model's context
// window, and a content-policy refusal. Vendors say both in a 400 (413, 422) with their own
// words; these are the phrasings of OpenAI, Azure, Anthropic, Gemini, Bedrock and Mistral.
import type { GatewayError } from "@switchyard/common";

export type RefusalKind = "context_window" | "content_policy";

const CONTEXT =
  /context[_ ]length[_ ]exceeded|maximum context length|context window|prompt is too long|too many (?:input )?tokens|input is too long|exceeds? the (?:maximum|max)\w* (?:number of )?(?:input )?tokens|input token count/i;
const CONTENT =
  /content[_ ]policy|content[_ ]filter|content management policy|responsible ?ai|safety (?:system|settings|filter)|violat\w* (?:our|the) (?:usage )?polic/i;

export function refusalKind(err: GatewayError): RefusalKind | undefined {
  const status = err.upstreamStatus ?? 0;
  if (status !== 400 && status !== 413 && status !== 422) return undefined;
  let body = "";
  try {
    body = typeof err.cause === "string" ? err.cause : JSON.stringify(err.cause ?? "");
  } catch {
    body = "";
  }
  const text = `${err.message}\n${body.slice(0, 4000)}`;
  if (CONTEXT.test(text)) return "context_window";
  if (CONTENT.test(text)) return "content_policy";
  return undefined;
}
