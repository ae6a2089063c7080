// Moderation: profanity, slurs and sexual terms, from obscenity's English lexicon (a maintained
// library: each term with the spellings people use to dodge filters, matched through its
// leetspeak, look-alike and repeated-letter transformers). The lexicon has no finer categories,
// so every match is one category, `moderation.profanity` (docs/guard.md says what it misses).
//
// obscenity's matcher is linear but not cheap (about 1 µs a character, docs/guard.md): the kind
// is off by default, and a scan runs it per window like every other detector, so the time
// budget still bounds a screening.
import { RegExpMatcher, englishDataset, englishRecommendedTransformers } from "obscenity";
import type { Detector, Span } from "../scan.js";

const matcher = new RegExpMatcher({ ...englishDataset.build(), ...englishRecommendedTransformers });

/** Longest match reported: a term with its letters repeated ("fuuuuuck") still fits. */
const MAX_SPAN = 64;

export const MODERATION_DETECTOR: Detector = {
  kind: "moderation",
  maxSpan: MAX_SPAN,
  find(text, from, until = text.length) {
    const end = Math.min(text.length, until + MAX_SPAN);
    const spans: Span[] = [];
    let next = from;
    for (const m of matcher.getAllMatches(text.slice(from, end), true)) {
      const start = from + m.startIndex;
      // endIndex is inclusive; a term that ends in a surrogate pair ends after both halves.
      const stop = from + m.endIndex + 1;
      if (start >= until) break;
      if (start < next || stop - start > MAX_SPAN) continue;
      spans.push({ kind: "moderation", rule: "moderation.profanity", start, end: stop });
      next = stop;
    }
    return { spans, next: Math.max(next, Math.min(until, text.length)) };
  },
};
