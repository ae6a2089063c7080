// The request pieces the SDK tests share (Node and Python SDKs, every door): one weather tool in
// each door's shape, and one structured-output format, so each door is held to the same asks.

// Mutable, as the SDKs' request types want them (a readonly `required` is not a string[]).
const cityParameters = () => ({
  type: "object" as const,
  properties: { city: { type: "string" } },
  required: ["city"],
});

/** The tool in the chat door's shape (tools[].function). */
export const WEATHER_CHAT_TOOL = {
  type: "function" as const,
  function: { name: "get_weather", description: "Weather for a city", parameters: cityParameters() },
};

/** The tool in the Responses door's shape: flat, strict (every property required, no others). */
export const WEATHER_RESPONSES_TOOL = {
  type: "function" as const,
  name: "get_weather",
  description: "Weather for a city",
  parameters: { ...cityParameters(), additionalProperties: false },
  strict: true,
};

/** The tool in the Anthropic door's shape (input_schema). */
export const WEATHER_ANTHROPIC_TOOL = {
  name: "get_weather",
  description: "Weather for a city",
  input_schema: cityParameters(),
};

/** `text.format` for responses.create: the answer must parse to a city's name and population. */
export const CITY_FORMAT = {
  type: "json_schema" as const,
  name: "city",
  strict: true,
  schema: {
    type: "object",
    properties: { name: { type: "string" }, population: { type: "integer" } },
    required: ["name", "population"],
    additionalProperties: false,
  },
};
