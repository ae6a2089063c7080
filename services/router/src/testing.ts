// Builds catalogs and envelopes for the router's specs.
import { create, type MessageInitShape } from "@bufbuild/protobuf";
import { buildCatalog, gatewayConfigSchema, type Catalog } from "@switchyard/common";

export { seededRandom as seeded } from "@switchyard/common";
import { EnvelopeSchema, RequestKind, RouteHintsSchema, type Envelope } from "@switchyard/proto";

/** One alias `m` over the given deployments (each on a mock OpenAI provider), with `extra` fields. */
export function catalogOf(
  deployments: Record<string, unknown>[],
  extra: Record<string, unknown> = {},
): Catalog {
  return buildCatalog(
    gatewayConfigSchema.parse({
      providers: { p: { type: "openai", base_url: "http://127.0.0.1:1/v1" } },
      models: [
        {
          alias: "m",
          ...extra,
          deployments: deployments.map((d) => ({ provider: "p", model: "gpt-4o", ...d })),
        },
      ],
    }),
  );
}

export function envelopeOf(
  fields: Omit<MessageInitShape<typeof EnvelopeSchema>, "$typeName"> & {
    hints?: MessageInitShape<typeof RouteHintsSchema>;
  } = {},
): Envelope {
  const { hints, ...rest } = fields;
  return create(EnvelopeSchema, {
    requestId: "r1",
    tenantId: "t1",
    keyId: "k1",
    model: "m",
    kind: RequestKind.CHAT,
    estimatedPromptTokens: 100,
    outputCapTokens: 100,
    ...rest,
    routeHints: create(RouteHintsSchema, hints ?? {}),
  });
}
