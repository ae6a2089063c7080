// Router stage: resolves the model alias to its deployments, in the order the policy gives, with
// the alias's retry policy. Today the policy is "pinned" (catalog order); cost/latency ordering
// from live stats comes later.
import { create } from "@bufbuild/protobuf";
import { GatewayError, type Catalog, type StageHandler } from "@switchyard/common";
import { RequestKind, RouteDecisionSchema } from "@switchyard/proto";

export function createRouterStage(deps: { catalog: Catalog }): StageHandler {
  return ({ env }) => {
    const entry = deps.catalog.get(env.model);
    if (entry === undefined) {
      throw new GatewayError("not_found", `the model \`${env.model}\` does not exist`, { field: "model" });
    }
    const wantKind = env.kind === RequestKind.EMBED ? "embedding" : "chat";
    if (entry.kind !== wantKind) {
      throw new GatewayError(
        "invalid_argument",
        `the model \`${env.model}\` is a ${entry.kind} model, not a ${wantKind} model`,
        {
          field: "model",
        },
      );
    }
    env.route = create(RouteDecisionSchema, {
      deployments: entry.deployments,
      policy: "pinned",
      retry: entry.retry,
    });
    return Promise.resolve("next");
  };
}
