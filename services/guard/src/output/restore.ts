// Puts the values tokenize took out of the prompt back into the answer. Placeholders look like
// "[EMAIL_1]"; the model is asked nothing special, it copies them as it would any name. In a
// stream a placeholder may arrive in pieces ("[EMA", "IL_1]"): text from a "[" that could still
// become one is held until it is whole or cannot be one.
import type { Placeholder } from "@switchyard/proto";

export interface Restorer {
  /** `text` with every placeholder replaced by its value (JSON-escaped inside JSON text). */
  restore(text: string, json: boolean): string;
  /** The largest cut at or before `cut` that does not split a placeholder of `text`. */
  safeCut(text: string, cut: number): number;
}

/** Characters a placeholder is made of after its "[": the kind in capitals, "_", digits, "]". */
const PLACEHOLDER_CHAR = /[A-Z0-9_]/;

export function createRestorer(placeholders: readonly Placeholder[]): Restorer {
  const values = new Map(placeholders.map((p) => [p.token, p.value]));
  const longest = Math.max(...placeholders.map((p) => p.token.length));
  // One alternation of the literal tokens: a single linear pass (tokens have no special
  // characters but the brackets, escaped here).
  const pattern = new RegExp([...values.keys()].map((t) => t.replace(/[[\]]/g, "\\$&")).join("|"), "g");
  return {
    restore(text, json) {
      if (!text.includes("[")) return text;
      return text.replace(pattern, (token) => {
        const value = values.get(token) ?? token;
        return json ? JSON.stringify(value).slice(1, -1) : value;
      });
    },
    safeCut(text, cut) {
      // Only the last "[" within a placeholder's length of the cut can open one that the cut
      // splits; it does if nothing between it and the cut rules a placeholder out.
      const open = text.lastIndexOf("[", cut - 1);
      if (open < 0 || cut - open >= longest) return cut;
      for (let i = open + 1; i < cut; i++) if (!PLACEHOLDER_CHAR.test(text[i]!)) return cut;
      return open;
    },
  };
}
