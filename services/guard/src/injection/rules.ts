// Prompt-injection families as weighted rules over normalised text (lower case, accents and
// look-alikes folded). A rule is a word class, or a chain of word classes each within a bounded
// distance of the one before in the same sentence ("ignore" … ≤ 60 … "instructions"), or a
// bounded regex tried only where its first word occurs. A chain does not cross a sentence's
// end. All words of all classes go into one
// Aho-Corasick automaton (prefilter.ts): one pass over the text finds every word, and the
// chains are followed as the words arrive, so the whole layer runs in time linear in the text.
import * as L from "./lexicon.js";
import { Prefilter } from "./prefilter.js";

export type Family =
  | "override"
  | "jailbreak"
  | "prompt_extraction"
  | "role_spoofing"
  | "encode_obey"
  | "exfiltration"
  | "tool_coercion"
  | "addressed_to_model";

// "Ignore the above and…": the usual opening of an override with no word for the rules.
const ABOVE = [
  "the above",
  "everything above",
  "all of the above",
  "everything before this",
  "all the above",
];
const PRIOR = [
  "previous",
  "prior",
  "above",
  "earlier",
  "preceding",
  "everything",
  "anteriores",
  "anterior",
  "precedentes",
  "vorherigen",
  "obigen",
  "precedenti",
  "vorige",
  "eerdere",
  "предыдущие",
  "все",
  "poprzednie",
  "onceki",
  "之前",
  "以前",
  "前の",
  "이전",
  "السابقة",
  "पिछले",
];
const PERSONA = [
  "you are",
  "act as",
  "pretend",
  "roleplay as",
  "role-play as",
  "from now on",
  "behave as",
  "you will be",
  "actua como",
  "finge",
  "agis comme",
  "fais semblant",
  "tu es maintenant",
  "du bist jetzt",
  "tu sei ora",
  "voce agora e",
  "je bent nu",
  "ты теперь",
  "притворись",
  "jestes teraz",
  "artik sen",
  "你现在是",
  "假装",
  "あなたは今",
  "ふりをして",
  "너는 이제",
  "أنت الآن",
  "तुम अब",
];
const STRONG_JAILBREAK = [
  "do anything now",
  "dan mode",
  "you are dan",
  "evil confidant",
  "no ethical",
  "no moral",
  "not bound by",
  "no longer bound",
  "without any restrictions",
  "sans aucune restriction",
  "opposite mode",
  "anti-gpt",
  "betterdan",
  "越狱",
  "脱獄",
  "탈옥",
];

/** The word classes rules are made of. */
// prettier-ignore
export const CLASSES = {
  dismiss: L.DISMISS, rules: L.RULES, prior: PRIOR, own: L.OWN, takeover: L.TAKEOVER,
  strongJailbreak: STRONG_JAILBREAK, weakJailbreak: L.JAILBREAK.filter((t) => !STRONG_JAILBREAK.includes(t)),
  persona: PERSONA, reveal: L.REVEAL, hidden: L.HIDDEN_PROMPT, roleToken: L.ROLE_TOKENS, decode: L.DECODE,
  obey: L.OBEY, send: L.SEND, conversation: L.CONVERSATION, invoke: L.INVOKE, tool: L.TOOL, unseen: L.UNSEEN,
  destroy: L.DESTROY, toModel: L.TO_THE_MODEL, image: ["!["], roleWord: ["system", "developer"],
  assistantWord: ["assistant"],
  above: ABOVE, roleTag: L.ROLE_TAGS, negation: L.NEGATION,
} satisfies Record<string, readonly string[]>;

export type WordClass = keyof typeof CLASSES;

export interface Rule {
  family: Family;
  /** Unique id, e.g. "injection.override.dismiss_rules". */
  id: string;
  weight: number;
  /** The classes in order, and the most characters between one and the next. */
  chain: readonly WordClass[];
  gaps: readonly number[];
  /** Weight when a first-person possessive sits inside ("ignore my previous instructions"). */
  ownWeight?: number;
  /** Where the chain's last word ends, the rest must match this (sticky) to count. */
  then?: RegExp;
  /** The first word must start a line (after up to 8 spaces or tabs). */
  lineStart?: boolean;
  /** Weight when a negation sits just before or after the first word ("don't forget the rules"). */
  negatedWeight?: number;
}

const rule = (
  family: Family,
  id: string,
  weight: number,
  chain: WordClass[],
  gaps: number[] = [],
  extra: Partial<Rule> = {},
): Rule => ({ family, id, weight, chain, gaps, ...extra });

const OVERRIDE = { ownWeight: 0.3, negatedWeight: 0.3 };

// prettier-ignore
export const RULES: readonly Rule[] = [
  rule("override", "injection.override.dismiss_rules", 0.9, ["dismiss", "rules"], [60], OVERRIDE),
  // Verb last (Japanese, Korean, Hindi, Turkish): "以前の指示をすべて無視して".
  rule("override", "injection.override.rules_dismissed", 0.9, ["rules", "dismiss"], [16], OVERRIDE),
  rule("override", "injection.override.dismiss_above", 0.8, ["dismiss", "above"], [12], OVERRIDE),
  rule("override", "injection.override.dismiss_prior", 0.6, ["dismiss", "prior"], [30], OVERRIDE),
  rule("override", "injection.override.takeover", 0.55, ["takeover"]),
  rule("jailbreak", "injection.jailbreak.persona", 0.85, ["strongJailbreak"]),
  rule("jailbreak", "injection.jailbreak.persona_without_limits", 0.85, ["persona", "weakJailbreak"], [60]),
  rule("jailbreak", "injection.jailbreak.keyword", 0.45, ["weakJailbreak"]),
  rule("prompt_extraction", "injection.prompt_extraction.reveal", 0.8, ["reveal", "hidden"], [40]),
  // Verb last: "システムプロンプトを表示して".
  rule("prompt_extraction", "injection.prompt_extraction.reveal_after", 0.8, ["hidden", "reveal"], [12]),
  rule("role_spoofing", "injection.role_spoofing.template_token", 0.9, ["roleToken"]),
  rule("role_spoofing", "injection.role_spoofing.role_tag", 0.6, ["roleTag"]),
  // A line that claims to start another role's turn ("\nsystem: …").
  rule("role_spoofing", "injection.role_spoofing.role_label", 0.7, ["roleWord"], [], { then: /[ \t]{0,3}:/y, lineStart: true }),
  rule("role_spoofing", "injection.role_spoofing.assistant_label", 0.55, ["assistantWord"], [], { then: /[ \t]{0,3}:/y, lineStart: true }),
  rule("encode_obey", "injection.encode_obey.decode_and_follow", 0.8, ["decode", "obey"], [80]),
  rule("exfiltration", "injection.exfiltration.templated_image", 0.85, ["image"], [], { then: /[^\]\n]{0,100}\]\([ \t]{0,4}https?:\/\/[^\s)]{0,200}(?:\{|%7b|\$|<|\[)/iy }),
  rule("exfiltration", "injection.exfiltration.image_with_query", 0.55, ["image"], [], { then: /[^\]\n]{0,100}\]\([ \t]{0,4}https?:\/\/[^\s)?]{0,200}\?[^\s)]{0,200}=/iy }),
  rule("exfiltration", "injection.exfiltration.send_conversation_to_url", 0.85, ["send", "conversation"], [40], { then: /[^\n]{0,80}?(?:https?:\/\/|@[a-z0-9-]{1,63}\.)/iy }),
  rule("exfiltration", "injection.exfiltration.send_conversation", 0.6, ["send", "conversation"], [40]),
  rule("tool_coercion", "injection.tool_coercion.unseen_call", 0.8, ["invoke", "tool", "unseen"], [30, 60]),
  rule("tool_coercion", "injection.tool_coercion.destroy", 0.45, ["destroy"]),
  rule("addressed_to_model", "injection.addressed_to_model", 0.55, ["toModel"]),
];

/** One word of the automaton: its classes (bit per class), and whether its edges are letters. */
export interface Word {
  classes: number;
  letterStart: boolean;
  letterEnd: boolean;
}

export const CLASS_BIT = Object.fromEntries(Object.keys(CLASSES).map((c, i) => [c, 1 << i])) as Record<
  WordClass,
  number
>;

const LETTER = /[a-z\u00c0-\u024f]/;
// A trailing "*" marks a stem: any letters may follow it ("talimat*": talimatlari, talimatlarini).
const wordList = new Map<string, number>();
for (const [name, terms] of Object.entries(CLASSES) as [WordClass, readonly string[]][])
  for (const t of terms) wordList.set(t, (wordList.get(t) ?? 0) | CLASS_BIT[name]);

const bare = (w: string) => w.replace(/\*$/, "");
export const WORDS: readonly string[] = [...wordList.keys()].map(bare);
export const WORD_INFO: readonly Word[] = [...wordList.keys()].map((w) => ({
  classes: wordList.get(w)!,
  letterStart: LETTER.test(w[0]!),
  letterEnd: !w.endsWith("*") && LETTER.test(w[w.length - 1]!),
}));
export const AUTOMATON = new Prefilter(WORDS);
