// A chain step's prompt from its template: `{{ path }}` replaced by the value at that path (a
// string as it is, anything else as JSON). A path with no value is an error naming it, not an
// empty string the model would answer anyway.
import { TEMPLATE_REFERENCE } from "@switchyard/common";
import { resolvePath, type ChainContext } from "./chain-paths.js";

export class TemplateError extends Error {
  override name = "TemplateError";
}

export function renderTemplate(template: string, ctx: ChainContext): string {
  return template.replace(TEMPLATE_REFERENCE, (_, path: string) => {
    const value = resolvePath(ctx, path);
    if (value === undefined) throw new TemplateError(`the template refers to ${path}, which has no value`);
    return typeof value === "string" ? value : JSON.stringify(value);
  });
}
