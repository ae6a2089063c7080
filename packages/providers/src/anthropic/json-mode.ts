// Anthropic's Messages API has no JSON-mode flag. When the request has no tools of its own and no
// extended thinking, JSON mode becomes one forced tool whose input schema is the requested schema
// (or any object for json_object): the model must answer by "calling" it, the API guarantees the
// input is a JSON object, and the adapter hands that input back as the message text with
// finish_reason "stop". With client tools or thinking (which forbids forced tool use) it falls
// back to a system instruction that carries the schema.
export const JSON_TOOL_NAME = "switchyard_json_response";

export const JSON_TOOL_DESCRIPTION =
  "Give your final answer as this tool's input. The input is the whole answer.";
