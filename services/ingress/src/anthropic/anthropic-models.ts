// The model list in Anthropic's shape, for clients that discover models with anthropic-version
// (Claude Code with gateway model discovery). Aliases have no creation date: the epoch stands in.
export function anthropicModelJson(id: string): Record<string, unknown> {
  return { type: "model", id, display_name: id, created_at: "1970-01-01T00:00:00Z" };
}

export function anthropicModelList(ids: string[]): Record<string, unknown> {
  return {
    data: ids.map(anthropicModelJson),
    has_more: false,
    first_id: ids[0] ?? null,
    last_id: ids[ids.length - 1] ?? null,
  };
}
