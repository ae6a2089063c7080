// One server-sent event of a door that names its events (Anthropic Messages, OpenAI Responses):
// written as `event: <event>\ndata: <JSON>\n\n`.
export interface SseEvent {
  event: string;
  data: Record<string, unknown>;
}
