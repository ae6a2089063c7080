// JSON mode for protocols without a native flag: a system instruction that carries the schema.
export function jsonInstruction(schema: unknown): string {
  return schema === undefined
    ? "Respond with a single valid JSON object and nothing else: no prose, no code fences."
    : `Respond with a single valid JSON value that conforms to this JSON Schema, and nothing else (no prose, no code fences):\n${JSON.stringify(schema)}`;
}
