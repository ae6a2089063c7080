// Embedding input given as token ids (OpenAI's `input: number[] | number[][]`, sent by some
// LangChain setups): turned back into text with cl100k_base, the encoding of OpenAI's embedding
// models, so every upstream — OpenAI's or not — receives text and answers one vector per input.
// The encoder loads on the first such request (~0.1 s), not at start.
import { createRequire } from "node:module";
import { GatewayError } from "@switchyard/common";

type Decoder = (tokens: readonly number[]) => string;
let decoder: Decoder | undefined;

function decode(tokens: readonly number[]): string {
  decoder ??= (createRequire(import.meta.url)("gpt-tokenizer/encoding/cl100k_base") as { decode: Decoder })
    .decode;
  return decoder(tokens);
}

/** The text of each token-id input; `field` names the input for errors (e.g. "input[2]"). */
export function tokensToText(inputs: readonly (readonly number[])[], field: (i: number) => string): string[] {
  return inputs.map((tokens, i) => {
    try {
      return decode(tokens);
    } catch {
      const bad = tokens.find((t) => {
        try {
          decode([t]);
          return false;
        } catch {
          return true;
        }
      });
      throw new GatewayError(
        "invalid_argument",
        `${field(i)}: ${bad ?? "a token"} is not a cl100k_base token id`,
        {
          field: field(i),
        },
      );
    }
  });
}
