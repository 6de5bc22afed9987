#pragma once
// Spanish + English chat sentiment for the escalation scorer (escalation_scorer.cpp calls it for
// every customer turn; the tenant's escalation actor reaches it through score()).
//
// Lexicon-based in the style of VADER, because customers write short, misspelt, mixed-language
// chat where a trained model would need data we do not have per tenant:
//   - every word and phrase in the lexicon has a valence in [-1, 1] ("estafa" -0.9, "gracias" 0.5);
//     text is folded first (responder::fold), so "PÉSIMO", "pésimo" and "pesimo" are one word,
//     plurals meet through responder::stem, and stretched letters ("pesimooo", "graciasss")
//     collapse before a second lookup;
//   - a negator ("no", "nunca", "jamás", "ni", "sin", "not", "never", "n't", ...) flips the first
//     valence word among the next three words of the same clause: a flipped negative is damped
//     to x(-0.5) ("not bad" is only mildly good), a flipped positive to x(-0.75) ("no es bueno" is
//     almost as bad as "malo"). Phrases that already contain a negation ("nunca llegó",
//     "doesn't work") are never flipped again, and Spanish double negatives do not cancel;
//   - an intensifier ("muy", "very", "súper", "really", ...) multiplies the next valence word
//     by 1.3 (stacking to 1.69); a word typed in capitals by 1.25; a clause ending in "!" by
//     1.08 per "!" up to three;
//   - a few emoji count as words;
//   - the valences are summed and squashed with VADER's x / sqrt(x^2 + 1), so one strong word
//     gives about -0.67 and a rant approaches -1 without any single message reaching it.
// Pure and thread-safe; invalid UTF-8 is tolerated (the folding replaces it with U+FFFD).
#include <string>
#include <string_view>
#include <vector>

namespace parley::logic::escalation {

/// One word of a customer message as the scorers see it.
struct chat_word {
  std::string text;      // folded; "don't" -> "dont" so contractions stay one word
  std::string stemmed;   // responder::stem(text)
  bool shouted = false;  // typed in capitals ("HORRIBLE")
};

/// Words between punctuation marks; negation and phrases never reach across clauses.
struct clause {
  std::vector<chat_word> words;
  int exclamations = 0;  // '!' right after the clause
};

/// Splits at . , ; : ! ? ¿ ¡ and line breaks. Only the first 64 KiB of a turn are read.
[[nodiscard]] std::vector<clause> split_clauses(std::string_view utf8);

/// Collapses runs of one ASCII letter: "graciasss" -> "gracias", "goood" -> "god". Only used
/// as a second lookup, so the collision with real words stays harmless.
[[nodiscard]] std::string squeeze(std::string_view folded_word);

/// A lexicon word or phrase that counted, with its valence after negation and boosts.
struct sentiment_hit {
  std::string term;  // folded; "no molesto" when negated
  double valence = 0;
};

struct sentiment_analysis {
  double score = 0;  // in [-1, 1]
  std::vector<sentiment_hit> hits;
};

[[nodiscard]] sentiment_analysis analyze_sentiment(std::string_view utf8);

/// Same, for a caller that already split the text (utf8 is still scanned for emoji).
[[nodiscard]] sentiment_analysis analyze_sentiment(const std::vector<clause>& clauses,
                                                   std::string_view utf8);

/// analyze_sentiment(utf8).score: -1 furious .. 0 neutral or empty .. 1 delighted.
[[nodiscard]] double sentiment(std::string_view utf8);

}  // namespace parley::logic::escalation
