// Prompt chains as the gateway file declares them (`chains:`): named and versioned; named
// inputs; steps that each send one prompt (a template over the inputs and earlier steps'
// outputs) to a model alias, optionally expecting JSON that matches a schema, and choose the
// next step by a condition; a map step runs its prompt once per item of a list. docs/chains.md.
import { z } from "zod";

const name = z
  .string()
  .regex(/^[A-Za-z][A-Za-z0-9_-]{0,63}$/, "letters, digits, _ and -, starting with a letter");

/** `{{ path }}` in a template: inputs.x, steps.<id>.output[.field…], item[.field…], index. */
export const TEMPLATE_REFERENCE = /\{\{\s*([A-Za-z_][\w-]*(?:\.[\w-]+)*)\s*\}\}/g;

const branchSchema = z.union([
  z.strictObject({
    /** A path, as in templates (steps.classify.output.label). */
    when: z.string().min(1),
    /** Go to `goto` when the value equals this… */
    equals: z.unknown().optional(),
    /** …or is one of these (neither: when the value is truthy). */
    in: z.array(z.unknown()).optional(),
    goto: name,
  }),
  z.strictObject({ otherwise: name }),
]);

const stepSchema = z.strictObject({
  id: name,
  model: z.string().min(1),
  system: z.string().optional(),
  /** The user message: a template. */
  prompt: z.string().min(1),
  max_tokens: z.number().int().positive().optional(),
  temperature: z.number().min(0).max(2).optional(),
  /** A JSON schema: the step asks for JSON matching it and checks the answer before going on. */
  schema: z.record(z.string(), z.unknown()).optional(),
  /** Tries of the prompt when the answer does not match the schema (the first included). */
  max_attempts: z.number().int().min(1).max(5).default(2),
  /** A path to a list: the prompt runs once per item (`{{item}}`, `{{index}}`); the output is the list of answers. */
  map: z.string().min(1).optional(),
  /** The step after this one: a step id, "end", or branches tried in order; default the next in the list. */
  next: z.union([name, z.array(branchSchema).min(1)]).optional(),
});

export const chainSchema = z
  .strictObject({
    name,
    version: z.number().int().positive().default(1),
    description: z.string().optional(),
    /** The names of the inputs a run must give. */
    inputs: z.array(name).default([]),
    steps: z.array(stepSchema).min(1),
    /** The step whose output is the chain's (default: the last step run). */
    output: name.optional(),
  })
  .superRefine((chain, ctx) => {
    const ids = new Set<string>();
    chain.steps.forEach((s, i) => {
      if (ids.has(s.id))
        ctx.addIssue({
          code: "custom",
          path: ["steps", i, "id"],
          message: `step id "${s.id}" is used twice`,
        });
      ids.add(s.id);
    });
    const target = (id: string, path: (string | number)[]): void => {
      if (id !== "end" && !ids.has(id)) ctx.addIssue({ code: "custom", path, message: `no step "${id}"` });
    };
    const reference = (ref: string, path: (string | number)[], inMap: boolean): void => {
      const [head, second] = ref.split(".");
      if (head === "inputs" && second !== undefined && !chain.inputs.includes(second))
        ctx.addIssue({
          code: "custom",
          path,
          message: `"${ref}": no input "${second}" (inputs: ${chain.inputs.join(", ") || "none"})`,
        });
      else if (head === "steps" && (second === undefined || !ids.has(second)))
        ctx.addIssue({ code: "custom", path, message: `"${ref}": no step "${second ?? ""}"` });
      else if ((head === "item" || head === "index") && !inMap)
        ctx.addIssue({ code: "custom", path, message: `"${ref}" is only known in a map step` });
      else if (!["inputs", "steps", "item", "index"].includes(head ?? ""))
        ctx.addIssue({
          code: "custom",
          path,
          message: `"${ref}": a reference starts with inputs, steps, item or index`,
        });
    };
    chain.steps.forEach((s, i) => {
      for (const field of ["prompt", "system"] as const)
        for (const m of (s[field] ?? "").matchAll(TEMPLATE_REFERENCE))
          reference(m[1]!, ["steps", i, field], s.map !== undefined);
      if (s.map !== undefined) reference(s.map, ["steps", i, "map"], false);
      if (typeof s.next === "string") target(s.next, ["steps", i, "next"]);
      else
        s.next?.forEach((b, j) => {
          if ("goto" in b) {
            target(b.goto, ["steps", i, "next", j, "goto"]);
            reference(b.when, ["steps", i, "next", j, "when"], false);
          } else target(b.otherwise, ["steps", i, "next", j, "otherwise"]);
        });
    });
    if (chain.output !== undefined) target(chain.output, ["output"]);
  });

export type ChainConfig = z.infer<typeof chainSchema>;
export type ChainStepConfig = ChainConfig["steps"][number];
