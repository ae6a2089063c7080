// The secret types the guard reports, each made of gitleaks rules (gitleaks-rules.ts), with the
// bound for unbounded repetition, the few changes a pattern needs to be linear here, and any
// check beyond gitleaks' own (entropy, allowlists).
import { jwtHeaderValid } from "./jwt.js";
import { privateKeyBlockValid } from "./private-key.js";

export interface SecretRule {
  /** The guard's rule id: `secret.<type>`. */
  rule: string;
  /** The gitleaks rules (by id) whose matches it reports. */
  gitleaks: readonly string[];
  /** The upper bound given to `+`, `*` and `{n,}`; 256 unless said. */
  cap?: number;
  /** Exact replacements in the upstream pattern, each of which must apply (else the spec fails). */
  tweaks?: readonly (readonly [from: string, to: string])[];
  /** A check the secret must pass too. */
  validate?: (secret: string) => boolean;
}

export const SECRET_RULES: readonly SecretRule[] = [
  { rule: "secret.aws_access_key", gitleaks: ["aws-access-token"] },
  {
    rule: "secret.github_token",
    gitleaks: [
      "github-pat",
      "github-oauth",
      "github-app-token",
      "github-refresh-token",
      "github-fine-grained-pat",
    ],
  },
  {
    rule: "secret.gitlab_token",
    gitleaks: [
      "gitlab-pat-routable",
      "gitlab-pat",
      "gitlab-ptt",
      "gitlab-rrt",
      "gitlab-deploy-token",
      "gitlab-runner-authentication-token-routable",
      "gitlab-runner-authentication-token",
      "gitlab-scim-token",
      "gitlab-feed-token",
      "gitlab-cicd-job-token",
      "gitlab-oauth-app-secret",
      "gitlab-incoming-mail-token",
      "gitlab-kubernetes-agent-token",
      "gitlab-feature-flag-client-token",
    ],
  },
  {
    rule: "secret.slack_token",
    gitleaks: [
      "slack-bot-token",
      "slack-legacy-bot-token",
      "slack-user-token",
      "slack-app-token",
      "slack-legacy-token",
      "slack-legacy-workspace-token",
      "slack-config-access-token",
      "slack-config-refresh-token",
      "slack-webhook-url",
    ],
  },
  { rule: "secret.openai_key", gitleaks: ["openai-api-key"] },
  { rule: "secret.anthropic_key", gitleaks: ["anthropic-api-key", "anthropic-admin-api-key"] },
  { rule: "secret.gcp_api_key", gitleaks: ["gcp-api-key"] },
  { rule: "secret.stripe_key", gitleaks: ["stripe-access-token"] },
  { rule: "secret.npm_token", gitleaks: ["npm-access-token"] },
  {
    rule: "secret.sendgrid_key",
    gitleaks: ["sendgrid-api-token"],
    // Keys are "SG." and two base64url parts: no "=", which would let "SG.=SG.=…" start a
    // candidate at every prefix, each scanning 66 characters on.
    tweaks: [[String.raw`(?i)[a-z0-9=_\-\.]{66}`, String.raw`(?i)[a-z0-9_\-\.]{66}`]],
  },
  {
    rule: "secret.huggingface_token",
    gitleaks: ["huggingface-access-token", "huggingface-organization-api-token"],
  },
  {
    rule: "secret.jwt",
    gitleaks: ["jwt"],
    // Header and signature segments are short; the payload may carry a few KB of claims.
    cap: 4096,
    tweaks: [
      ["ey[a-zA-Z0-9]{17,}", "ey[a-zA-Z0-9]{17,1024}"],
      [String.raw`\.(?:[a-zA-Z0-9\/\\_-]{10,}`, String.raw`\.(?:[a-zA-Z0-9\/\\_-]{10,1024}`],
    ],
    validate: jwtHeaderValid,
  },
  {
    rule: "secret.private_key",
    gitleaks: ["private-key"],
    tweaks: [
      // The label cannot hold dashes, so it cannot reach into another block…
      ["[ A-Z0-9_-]{0,100}PRIVATE", "[ A-Z0-9_]{0,40}PRIVATE"],
      // …and the body (≤ 8 KiB) cannot pass a run of five dashes, so a BEGIN with no END costs
      // a scan to the next block, not to 8 KiB past it, and the block must end with END.
      [
        String.raw`[\s\S-]{64,}?KEY(?: BLOCK)?-----`,
        String.raw`(?:[A-Za-z0-9+/=\s:,.\\]|-(?!----)){64,8192}?-----END[ A-Z0-9_]{0,40}PRIVATE KEY(?: BLOCK)?-----`,
      ],
    ],
    validate: privateKeyBlockValid,
  },
];
