// Spanish + English chat sentiment lexicon; see sentiment_lexicon.hpp.
#include "logic/escalation/sentiment_lexicon.hpp"

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <unordered_map>
#include <unordered_set>

#include "logic/responder/text_fold.hpp"

namespace parley::logic::escalation {

namespace {

struct entry {
  std::string_view term;  // as a customer would type it; folded when the lexicon is built
  double valence;
};

// Valences are roughly VADER's ratings divided by four. Terms are written as typed with accents;
// folding makes "pésimo"/"pesimo" and "nunca llegó"/"nunca llego" the same entry, and stemming
// covers plurals, so only gender variants need listing.
constexpr entry kNegative[] = {
    // fraud and theft: the clearest sign a bot should step aside
    {"estafa", -0.9},
    {"estafadores", -0.9},
    {"scam", -0.9},
    {"scammers", -0.9},
    {"fraude", -0.9},
    {"fraud", -0.9},
    {"ladrones", -0.9},
    {"thieves", -0.9},
    {"robo", -0.8},
    {"ripoff", -0.8},
    {"rip off", -0.8},
    {"ripped off", -0.8},
    // quality
    {"pésimo", -0.9},
    {"pésima", -0.9},
    {"horrible", -0.9},
    {"terrible", -0.9},
    {"awful", -0.9},
    {"worst", -0.9},
    {"malísimo", -0.8},
    {"malísima", -0.8},
    {"nefasto", -0.8},
    {"nefasta", -0.8},
    {"asco", -0.8},
    {"asqueroso", -0.8},
    {"disgusting", -0.8},
    {"basura", -0.8},
    {"garbage", -0.8},
    {"trash", -0.7},
    {"peor", -0.7},
    {"fatal", -0.7},
    {"patético", -0.7},
    {"pathetic", -0.7},
    {"malo", -0.6},
    {"mala", -0.6},
    {"bad", -0.6},
    {"mal", -0.4},
    {"poor", -0.4},
    {"lento", -0.3},
    {"lenta", -0.3},
    {"slow", -0.3},
    // anger and frustration
    {"furioso", -0.8},
    {"furiosa", -0.8},
    {"furious", -0.8},
    {"outraged", -0.8},
    {"odio", -0.8},
    {"hate", -0.8},
    {"hated", -0.8},
    {"hates", -0.8},
    {"enojado", -0.7},
    {"enojada", -0.7},
    {"enfadado", -0.7},
    {"enfadada", -0.7},
    {"indignado", -0.7},
    {"indignada", -0.7},
    {"angry", -0.7},
    {"harto", -0.7},
    {"harta", -0.7},
    {"fed up", -0.7},
    {"molesto", -0.6},
    {"molesta", -0.6},
    {"annoyed", -0.6},
    {"upset", -0.6},
    {"frustrado", -0.6},
    {"frustrada", -0.6},
    {"frustrated", -0.6},
    {"frustrating", -0.6},
    {"decepcionado", -0.6},
    {"decepcionada", -0.6},
    {"disappointed", -0.6},
    // competence and honesty
    {"inútil", -0.7},
    {"useless", -0.7},
    {"incompetente", -0.7},
    {"incompetent", -0.7},
    {"inaceptable", -0.7},
    {"unacceptable", -0.7},
    {"vergüenza", -0.7},
    {"shameful", -0.7},
    {"irresponsable", -0.7},
    {"irresponsible", -0.7},
    {"mentirosos", -0.8},
    {"liars", -0.8},
    {"mentira", -0.6},
    {"lies", -0.6},
    {"ridículo", -0.6},
    {"ridícula", -0.6},
    {"ridiculous", -0.6},
    // broken, missing, waiting
    {"arrived broken", -0.7},
    {"llegó roto", -0.7},
    {"llegó rota", -0.7},
    {"llegó dañado", -0.7},
    {"llegó dañada", -0.7},
    {"roto", -0.5},
    {"rota", -0.5},
    {"broken", -0.5},
    {"dañado", -0.5},
    {"dañada", -0.5},
    {"damaged", -0.5},
    {"defectuoso", -0.5},
    {"defectuosa", -0.5},
    {"defective", -0.5},
    {"nunca llegó", -0.7},
    {"nunca llegaron", -0.7},
    {"nunca me llegó", -0.7},
    {"never arrived", -0.7},
    {"never received", -0.7},
    {"never came", -0.6},
    {"never got", -0.6},
    {"no me llegó", -0.6},
    {"no llegó", -0.6},
    {"didn't arrive", -0.6},
    {"no ha llegado", -0.5},
    {"hasn't arrived", -0.5},
    {"sigo esperando", -0.5},
    {"still waiting", -0.5},
    {"no sirve", -0.6},
    {"no funciona", -0.5},
    {"doesn't work", -0.5},
    {"not working", -0.5},
    {"problema", -0.3},
    {"problem", -0.3},
    // profanity mostly means anger at someone
    {"mierda", -0.8},
    {"shit", -0.7},
    {"crap", -0.6},
    {"wtf", -0.6},
    {"carajo", -0.6},
    {"joder", -0.6},
    {"damn", -0.4},
};

constexpr entry kPositive[] = {
    {"excelente", 0.9},   {"excellent", 0.9},  {"maravilloso", 0.9}, {"maravillosa", 0.9},
    {"wonderful", 0.9},   {"fantástico", 0.9}, {"fantástica", 0.9},  {"fantastic", 0.9},
    {"amazing", 0.9},     {"awesome", 0.9},    {"perfect", 0.8},     {"perfecto", 0.8},
    {"perfecta", 0.8},    {"genial", 0.8},     {"buenísimo", 0.8},   {"buenísima", 0.8},
    {"encanta", 0.8},     {"great", 0.7},      {"love", 0.7},        {"loved", 0.7},
    {"loves", 0.7},       {"happy", 0.6},      {"feliz", 0.6},       {"contento", 0.6},
    {"contenta", 0.6},    {"satisfied", 0.6},  {"satisfecho", 0.6},  {"satisfecha", 0.6},
    {"helpful", 0.6},     {"amable", 0.6},     {"recomiendo", 0.6},  {"gracias", 0.5},
    {"thanks", 0.5},      {"thank", 0.5},      {"agradezco", 0.5},   {"agradecido", 0.5},
    {"agradecida", 0.5},  {"appreciate", 0.5}, {"recommend", 0.5},   {"resuelto", 0.5},
    {"solucionado", 0.5}, {"solved", 0.5},     {"resolved", 0.5},    {"bueno", 0.5},
    {"buena", 0.5},       {"good", 0.5},       {"nice", 0.5},        {"gusta", 0.5},
    {"thx", 0.4},         {"bien", 0.3},       {"rápido", 0.3},
};

// Greetings and polite refusals that contain lexicon words but say nothing about mood; matching
// them as phrases keeps "buenas tardes" from being praise and "no gracias" from being a flipped
// "gracias".
constexpr entry kNeutral[] = {
    {"buenos días", 0}, {"buenas tardes", 0}, {"buenas noches", 0},  {"buen día", 0},
    {"buenas", 0},      {"good morning", 0},  {"good afternoon", 0}, {"good evening", 0},
    {"good night", 0},  {"no gracias", 0},    {"no thanks", 0},      {"no thank", 0},
    {"de nada", 0},
};

constexpr entry kEmoji[] = {
    {"🤬", -0.9}, {"😡", -0.8}, {"😠", -0.7},   {"👎", -0.6},    {"💩", -0.6},
    {"😤", -0.5},    {"😭", -0.5}, {"😢", -0.4},   {"🙄", -0.3}, {"😍", 0.7},
    {"🥰", 0.7},  {"❤", 0.6},  {"👍", 0.5},    {"😊", 0.5},     {"😀", 0.5},
    {"😁", 0.5},     {"👌", 0.4},  {"🙂", 0.3}, {"🙏", 0.3},
};

// "n't" arrives merged ("dont"); "nada" and "sin" negate what follows ("nada mal", "sin
// problema").
constexpr std::string_view kNegators[] = {
    "no",    "nunca",   "jamás",    "ni",      "tampoco", "nada",  "sin",
    "not",   "never",   "nor",      "without", "cannot",  "dont",  "doesnt",
    "didnt", "isnt",    "wasnt",    "arent",   "werent",  "cant",  "couldnt",
    "wont",  "wouldnt", "shouldnt", "havent",  "hasnt",   "hadnt", "aint",
};

constexpr std::string_view kIntensifiers[] = {
    "muy",     "súper",      "super",      "really",         "realmente",  "very",
    "tan",     "so",         "extremely",  "extremadamente", "sumamente",  "demasiado",
    "totally", "totalmente", "completely", "completamente",  "absolutely", "absolutamente",
    "mega",    "incredibly",
};

constexpr int kNegationReach = 3;        // words after a negator that it can still flip
constexpr double kFlipNegative = -0.5;   // "not bad": mildly good
constexpr double kFlipPositive = -0.75;  // "not good": nearly "bad"
constexpr double kIntensifierBoost = 1.3;
constexpr double kMaxIntensity = 1.69;  // two intensifiers
constexpr int kIntensifierReach = 2;
constexpr double kShoutBoost = 1.25;
constexpr double kExclamationStep = 0.08;
constexpr int kMaxExclamations = 3;
constexpr int kMaxEmojiRepeats = 3;   // a row of 😡 is one mood, not ten
constexpr double kSquashAlpha = 1.0;  // VADER's alpha 15 on its +-4 scale is ~0.94 on +-1
constexpr std::size_t kMaxScanBytes = 64 * 1024;
constexpr std::size_t kMinStem = 4;

// ---- splitting --------------------------------------------------------------------------

[[nodiscard]] bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\v' || c == '\f';
}

[[nodiscard]] bool is_ascii_break(char c) {
  return c == '.' || c == ',' || c == ';' || c == ':' || c == '!' || c == '?' || c == '\n' ||
         c == '\r';
}

// Length of the clause break at i: 1 for ASCII punctuation, 2 for "¿" / "¡", 0 otherwise.
[[nodiscard]] std::size_t break_length(std::string_view s, std::size_t i) {
  if (is_ascii_break(s[i])) return 1;
  if (static_cast<unsigned char>(s[i]) == 0xC2 && i + 1 < s.size()) {
    const auto next = static_cast<unsigned char>(s[i + 1]);
    if (next == 0xBF || next == 0xA1) return 2;
  }
  return 0;
}

// ASCII-only on purpose: "PÉSIMO" still counts through P, S, I, M, O, and no decoding of
// possibly invalid UTF-8 is needed.
[[nodiscard]] bool shouted(std::string_view token) {
  int upper = 0;
  for (char c : token) {
    if (c >= 'a' && c <= 'z') return false;
    if (c >= 'A' && c <= 'Z') ++upper;
  }
  return upper >= 2;
}

// split_words cuts "doesn't" into "doesn" + "t"; one word keeps the negation recognisable.
void merge_contractions(std::vector<std::string>& words) {
  for (std::size_t i = 1; i < words.size();) {
    if (words[i] == "t" && !words[i - 1].empty() && words[i - 1].back() == 'n') {
      words[i - 1] += 't';
      words.erase(words.begin() + static_cast<std::ptrdiff_t>(i));
      continue;
    }
    ++i;
  }
}

void add_token(std::string_view token, clause& to) {
  if (token.empty()) return;
  const bool loud = shouted(token);
  std::vector<std::string> words = responder::split_words(token);
  merge_contractions(words);
  for (std::string& w : words) {
    std::string stemmed = responder::stem(w);
    to.words.push_back(chat_word{std::move(w), std::move(stemmed), loud});
  }
}

void close_clause(clause& current, std::vector<clause>& out) {
  if (!current.words.empty()) out.push_back(std::move(current));
  current = clause{};
}

// ---- lexicon ----------------------------------------------------------------------------

[[nodiscard]] std::vector<std::string> words_of(std::string_view text) {
  std::vector<std::string> words;
  for (clause& c : split_clauses(text)) {
    for (chat_word& w : c.words) words.push_back(std::move(w.text));
  }
  return words;
}

struct phrase {
  std::vector<std::string> words;
  std::vector<std::string> stems;
  std::string term;
  double valence = 0;
  bool negated = false;  // already contains a negator
};

// What a position in a clause holds: a lexicon word or phrase (length > 0) or nothing.
struct match {
  std::size_t length = 0;
  double valence = 0;
  std::string term;
  bool negated = false;
  bool shouted = false;
};

class lexicon {
 public:
  lexicon() {
    add_set(kNegators, negators_);
    add_set(kIntensifiers, intensifiers_);
    add_entries(kNeutral);
    add_entries(kNegative);
    add_entries(kPositive);
    // Longest first, so "nunca me llegó" wins over "no me llegó"'s shorter cousins.
    std::stable_sort(phrases_.begin(), phrases_.end(), [](const phrase& a, const phrase& b) {
      return a.words.size() > b.words.size();
    });
  }

  [[nodiscard]] bool negator(const std::string& w) const { return in(negators_, w); }
  [[nodiscard]] bool intensifier(const std::string& w) const { return in(intensifiers_, w); }

  [[nodiscard]] match at(const std::vector<chat_word>& words, std::size_t i) const {
    for (const phrase& p : phrases_) {
      if (phrase_at(p, words, i)) return phrase_match(p, words, i);
    }
    const chat_word& w = words[i];
    const double* v = word_valence(w);
    if (v == nullptr) return {};
    return match{1, *v, w.text, false, w.shouted};
  }

 private:
  using valence_map = std::unordered_map<std::string, double>;
  using word_set = std::unordered_set<std::string>;

  template <std::size_t N>
  void add_set(const std::string_view (&terms)[N], word_set& to) {
    for (std::string_view t : terms) {
      const std::string folded = responder::fold(t);
      to.insert(folded);
      to.insert(squeeze(folded));
    }
  }

  template <std::size_t N>
  void add_entries(const entry (&entries)[N]) {
    for (const entry& e : entries) {
      std::vector<std::string> words = words_of(e.term);
      if (words.size() == 1) {
        add_word(words.front(), e.valence);
      } else if (words.size() > 1) {
        add_phrase(std::move(words), e.valence);
      }
    }
  }

  // emplace keeps the first entry, so the neutral list overrides stems of the others. Stems
  // under four letters are left out: "hate" -> "hat" would make every hat angry.
  void add_word(const std::string& w, double valence) {
    words_.emplace(w, valence);
    if (std::string s = responder::stem(w); s.size() >= kMinStem) stems_.emplace(s, valence);
    squeezed_.emplace(squeeze(w), valence);
  }

  void add_phrase(std::vector<std::string> words, double valence) {
    phrase p;
    for (const std::string& w : words) {
      p.stems.push_back(responder::stem(w));
      p.negated = p.negated || negator(w);
      p.term += (p.term.empty() ? "" : " ") + w;
    }
    p.words = std::move(words);
    p.valence = valence;
    phrases_.push_back(std::move(p));
  }

  [[nodiscard]] static bool in(const word_set& set, const std::string& w) {
    return set.count(w) > 0 || set.count(squeeze(w)) > 0;
  }

  [[nodiscard]] static bool phrase_at(const phrase& p, const std::vector<chat_word>& words,
                                      std::size_t i) {
    if (i + p.words.size() > words.size()) return false;
    for (std::size_t k = 0; k < p.words.size(); ++k) {
      const chat_word& w = words[i + k];
      if (w.text != p.words[k] && w.stemmed != p.stems[k]) return false;
    }
    return true;
  }

  [[nodiscard]] static match phrase_match(const phrase& p, const std::vector<chat_word>& words,
                                          std::size_t i) {
    bool loud = false;
    for (std::size_t k = 0; k < p.words.size(); ++k) loud = loud || words[i + k].shouted;
    return match{p.words.size(), p.valence, p.term, p.negated, loud};
  }

  // Exact form first, then the stem ("terribles"), then stretched letters ("pesimooo").
  [[nodiscard]] const double* word_valence(const chat_word& w) const {
    if (auto it = words_.find(w.text); it != words_.end()) return &it->second;
    if (auto it = stems_.find(w.stemmed); it != stems_.end()) return &it->second;
    const std::string squeezed = squeeze(w.text);
    if (squeezed.size() == w.text.size()) return nullptr;
    if (auto it = squeezed_.find(squeezed); it != squeezed_.end()) return &it->second;
    return nullptr;
  }

  valence_map words_, stems_, squeezed_;
  std::vector<phrase> phrases_;
  word_set negators_, intensifiers_;
};

[[nodiscard]] const lexicon& the_lexicon() {
  static const lexicon lex;
  return lex;
}

// ---- scoring ----------------------------------------------------------------------------

// Negation and intensity that are waiting for the next valence word.
struct modifiers {
  int negation_left = 0;
  double intensity = 1;
  int intensity_left = 0;

  // A second negator only renews the reach: Spanish "no ... nunca" is one negation.
  void negate() { negation_left = kNegationReach; }

  void intensify() {
    intensity = std::min(intensity * kIntensifierBoost, kMaxIntensity);
    intensity_left = kIntensifierReach;
  }

  void skip_word() {
    if (negation_left > 0) --negation_left;
    if (intensity_left > 0 && --intensity_left == 0) intensity = 1;
  }
};

[[nodiscard]] double apply(const match& m, modifiers& mod, double exclamation,
                           std::vector<sentiment_hit>& hits) {
  double v = m.valence * mod.intensity * exclamation * (m.shouted ? kShoutBoost : 1.0);
  const bool flipped = mod.negation_left > 0 && !m.negated;
  if (flipped) v *= v < 0 ? kFlipNegative : kFlipPositive;
  mod = modifiers{};
  if (m.valence == 0) return 0;
  hits.push_back(sentiment_hit{flipped ? "no " + m.term : m.term, v});
  return v;
}

[[nodiscard]] double score_clause(const clause& c, const lexicon& lex,
                                  std::vector<sentiment_hit>& hits) {
  const double exclamation = 1 + kExclamationStep * std::min(c.exclamations, kMaxExclamations);
  modifiers mod;
  double sum = 0;
  for (std::size_t i = 0; i < c.words.size();) {
    const match m = lex.at(c.words, i);
    if (m.length > 0) {
      sum += apply(m, mod, exclamation, hits);
      i += m.length;
      continue;
    }
    const std::string& w = c.words[i].text;
    if (lex.negator(w)) {
      mod.negate();
    } else {
      mod.skip_word();
      if (lex.intensifier(w)) mod.intensify();
    }
    ++i;
  }
  return sum;
}

[[nodiscard]] double score_emoji(std::string_view text, std::vector<sentiment_hit>& hits) {
  double sum = 0;
  for (const entry& e : kEmoji) {
    int seen = 0;
    for (auto at = text.find(e.term); at != std::string_view::npos && seen < kMaxEmojiRepeats;
         at = text.find(e.term, at + e.term.size())) {
      ++seen;
    }
    if (seen == 0) continue;
    sum += e.valence * seen;
    hits.push_back(sentiment_hit{std::string(e.term), e.valence * seen});
  }
  return sum;
}

}  // namespace

std::vector<clause> split_clauses(std::string_view utf8) {
  const std::string_view text = utf8.substr(0, std::min(utf8.size(), kMaxScanBytes));
  std::vector<clause> out;
  clause current;
  std::size_t token_start = 0;
  for (std::size_t i = 0; i < text.size();) {
    const std::size_t brk = break_length(text, i);
    if (brk == 0 && !is_space(text[i])) {
      ++i;
      continue;
    }
    add_token(text.substr(token_start, i - token_start), current);
    if (brk > 0) {
      if (text[i] == '!') ++current.exclamations;
      // "!!!" and "?!" belong to the clause before them, so only close once the run ends.
      const std::size_t next = i + brk;
      if (next >= text.size() || break_length(text, next) == 0) close_clause(current, out);
      i = next;
    } else {
      ++i;
    }
    token_start = i;
  }
  add_token(text.substr(token_start), current);
  close_clause(current, out);
  return out;
}

std::string squeeze(std::string_view folded_word) {
  std::string out;
  out.reserve(folded_word.size());
  for (char c : folded_word) {
    const bool letter = c >= 'a' && c <= 'z';
    if (letter && !out.empty() && out.back() == c) continue;
    out.push_back(c);
  }
  return out;
}

sentiment_analysis analyze_sentiment(const std::vector<clause>& clauses, std::string_view utf8) {
  const lexicon& lex = the_lexicon();
  sentiment_analysis out;
  double total = 0;
  for (const clause& c : clauses) total += score_clause(c, lex, out.hits);
  total += score_emoji(utf8.substr(0, std::min(utf8.size(), kMaxScanBytes)), out.hits);
  out.score = std::clamp(total / std::sqrt(total * total + kSquashAlpha), -1.0, 1.0);
  return out;
}

sentiment_analysis analyze_sentiment(std::string_view utf8) {
  return analyze_sentiment(split_clauses(utf8), utf8);
}

double sentiment(std::string_view utf8) {
  return analyze_sentiment(utf8).score;
}

}  // namespace parley::logic::escalation
