// Escalation scorer; the model is documented in escalation_scorer.hpp.
#include "logic/escalation/escalation_scorer.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <set>

#include "logic/responder/text_fold.hpp"

namespace parley::logic::escalation {

namespace {

// ---- keyword tables ---------------------------------------------------------------------

enum class kind { plain, handoff, legal };

struct keyword_spec {
  std::string_view text;  // as typed; a trailing '*' makes the last word a prefix
  kind what;
};

constexpr keyword_spec kKeywords[] = {
    // leaving or wanting money back
    {"cancel*", kind::plain},
    {"refund*", kind::plain},
    {"reembols*", kind::plain},
    {"devolución", kind::plain},
    {"devolver dinero", kind::plain},
    {"devolver mi dinero", kind::plain},
    {"devuelvan mi dinero", kind::plain},
    {"devuelvan el dinero", kind::plain},
    {"devuelven mi dinero", kind::plain},
    {"devuelven el dinero", kind::plain},
    {"money back", kind::plain},
    {"chargeback", kind::plain},
    {"contracargo", kind::plain},
    // complaints and going up the chain
    {"complain*", kind::plain},
    {"quej*", kind::plain},
    {"reclamo", kind::plain},
    {"reclamación", kind::plain},
    {"manager", kind::plain},
    {"gerent*", kind::plain},
    {"supervisor", kind::plain},
    {"supervisora", kind::plain},
    // explicit requests for a person (see also kTalkVerbs x kPeople)
    {"hablar con una persona", kind::handoff},
    {"hablar con un humano", kind::handoff},
    {"speak to a human", kind::handoff},
    {"talk to a person", kind::handoff},
    {"real person", kind::handoff},
    {"persona real", kind::handoff},
    {"agente humano", kind::handoff},
    {"asesor humano", kind::handoff},
    {"human agent", kind::handoff},
    {"live agent", kind::handoff},
    // legal threats. Bare "demanda" also means "demand" ("alta demanda"), and bare "sue" is a
    // name, so both only count in the forms people threaten with.
    {"lawyer*", kind::legal},
    {"attorney*", kind::legal},
    {"abogad*", kind::legal},
    {"demandar*", kind::legal},
    {"una demanda", kind::legal},
    {"demanda legal", kind::legal},
    {"demanda judicial", kind::legal},
    {"lawsuit*", kind::legal},
    {"sue you", kind::legal},
    {"sue your", kind::legal},
    {"sue them", kind::legal},
    {"sue the", kind::legal},
    {"sue this", kind::legal},
    {"will sue", kind::legal},
    {"to sue", kind::legal},
    {"gonna sue", kind::legal},
    {"sued", kind::legal},
    {"suing", kind::legal},
    {"denunci*", kind::legal},
    {"legal action", kind::legal},
    {"acción legal", kind::legal},
    {"acciones legales", kind::legal},
    // consumer-protection agencies: a formal complaint there is a legal matter for the tenant
    {"profeco", kind::legal},
    {"consumer protection", kind::legal},
    {"protección al consumidor", kind::legal},
    {"defensa del consumidor", kind::legal},
    {"sernac", kind::legal},
    {"indecopi", kind::legal},
};

constexpr std::string_view kTalkVerbs[] = {
    "hablar",     "hablo",  "hable",   "comunicarme", "comunicar",  "contactar",
    "pásame",     "páseme", "pásenme", "transferir",  "transfiere", "transfieran",
    "comunícame", "speak",  "talk",    "connect",     "transfer",
};

constexpr std::string_view kPeople[] = {
    "persona",   "humano",     "humana",        "human",          "person",
    "agente",    "agent",      "asesor",        "asesora",        "operador",
    "operadora", "operator",   "alguien",       "someone",        "somebody",
    "ejecutivo", "ejecutiva",  "representante", "representative", "gerente",
    "manager",   "supervisor", "supervisora",   "encargado",      "encargada",
};

constexpr std::size_t kTalkReach = 4;  // "talk to a real person": person is the 4th word

constexpr std::string_view kBilling[] = {
    "refund*",
    "reembols*",
    "cobr*",
    "charge",
    "charged",
    "overcharged",
    "factura*",
    "invoice*",
    "payment*",
    "pago",
    "pagué",
    "pagar",
    "billing",
    "chargeback",
    "contracargo",
    "devolver dinero",
    "devolver mi dinero",
    "devuelvan mi dinero",
    "devuelvan el dinero",
    "devuelven mi dinero",
    "devuelven el dinero",
    "money back",
};
constexpr std::string_view kTechnical[] = {
    "error*",     "falla*", "fallo",      "no funciona", "doesn't work", "not working",
    "no sirve",   "bug*",   "app",        "aplicación",  "crash*",       "no carga",
    "won't load", "login",  "contraseña", "password",    "se cae",       "se traba",
};
constexpr std::string_view kSales[] = {
    "precio*", "price*",     "pricing",   "comprar", "buy",       "buying",        "cotiz*",
    "quote",   "descuento*", "discount*", "mayoreo", "wholesale", "cuánto cuesta", "how much",
};
constexpr std::string_view kComplaints[] = {
    "quej*", "reclamo", "reclamación", "complain*", "estafa*", "scam*", "fraud*",
};

constexpr std::string_view kMonths[] = {
    "enero",     "febrero", "marzo",      "abril",     "mayo",     "junio",
    "julio",     "agosto",  "septiembre", "setiembre", "octubre",  "noviembre",
    "diciembre", "january", "february",   "march",     "april",    "june",
    "july",      "august",  "september",  "october",   "november", "december",
};

constexpr std::string_view kOrderWords[] = {
    "pedido", "orden", "order", "guia", "folio", "ticket", "tracking", "compra",
};

// ---- patterns ---------------------------------------------------------------------------

struct pattern {
  std::vector<std::string> words;  // folded
  std::vector<std::string> stems;
  bool prefix = false;  // the last word matches any word starting with it
  kind what = kind::plain;
};

[[nodiscard]] pattern compile(std::string_view text, kind what) {
  pattern p;
  p.what = what;
  p.prefix = !text.empty() && text.back() == '*';
  if (p.prefix) text.remove_suffix(1);
  for (clause& c : split_clauses(text)) {
    for (chat_word& w : c.words) {
      p.stems.push_back(std::move(w.stemmed));
      p.words.push_back(std::move(w.text));
    }
  }
  return p;
}

template <std::size_t N>
[[nodiscard]] std::vector<pattern> compile_all(const std::string_view (&texts)[N]) {
  std::vector<pattern> out;
  for (std::string_view t : texts) out.push_back(compile(t, kind::plain));
  return out;
}

[[nodiscard]] bool starts_with(std::string_view s, std::string_view prefix) {
  return s.size() >= prefix.size() && s.compare(0, prefix.size(), prefix) == 0;
}

[[nodiscard]] bool word_matches(const chat_word& w, const pattern& p, std::size_t k) {
  if (p.prefix && k + 1 == p.words.size()) return starts_with(w.text, p.words[k]);
  return w.text == p.words[k] || w.stemmed == p.stems[k];
}

[[nodiscard]] bool matches_at(const std::vector<chat_word>& words, std::size_t i,
                              const pattern& p) {
  if (p.words.empty() || i + p.words.size() > words.size()) return false;
  for (std::size_t k = 0; k < p.words.size(); ++k) {
    if (!word_matches(words[i + k], p, k)) return false;
  }
  return true;
}

// The customer's words where p first matches ("cancelled" for "cancel*"), or "" for none.
[[nodiscard]] std::string find_match(const std::vector<clause>& clauses, const pattern& p) {
  for (const clause& c : clauses) {
    for (std::size_t i = 0; i < c.words.size(); ++i) {
      if (!matches_at(c.words, i, p)) continue;
      std::string found;
      for (std::size_t k = i; k < i + p.words.size(); ++k) {
        found += (found.empty() ? "" : " ") + c.words[k].text;
      }
      return found;
    }
  }
  return {};
}

[[nodiscard]] bool matches(const std::vector<clause>& clauses, const pattern& p) {
  return !find_match(clauses, p).empty();
}

// One-word patterns for a set of word forms ("personas" meets "persona" through the stem).
template <std::size_t N>
[[nodiscard]] std::vector<pattern> word_forms(const std::string_view (&texts)[N]) {
  return compile_all(texts);
}

[[nodiscard]] bool any_at(const chat_word& w, const std::vector<pattern>& forms) {
  return std::any_of(forms.begin(), forms.end(), [&](const pattern& p) {
    return p.words.size() == 1 && word_matches(w, p, 0);
  });
}

struct tables {
  std::vector<pattern> keywords = build_keywords();
  std::vector<pattern> talk_verbs = word_forms(kTalkVerbs);
  std::vector<pattern> people = word_forms(kPeople);
  std::vector<pattern> order_words = word_forms(kOrderWords);
  std::vector<pattern> months = word_forms(kMonths);
  // In tie-break order: billing is the most actionable, complaints the least specific.
  std::array<std::pair<std::string_view, std::vector<pattern>>, 4> departments{{
      {"billing", compile_all(kBilling)},
      {"technical", compile_all(kTechnical)},
      {"sales", compile_all(kSales)},
      {"complaints", compile_all(kComplaints)},
  }};

  static std::vector<pattern> build_keywords() {
    std::vector<pattern> out;
    for (const keyword_spec& k : kKeywords) out.push_back(compile(k.text, k.what));
    return out;
  }
};

[[nodiscard]] const tables& the_tables() {
  static const tables t;
  return t;
}

// ---- keyword matching -------------------------------------------------------------------

struct keyword_hits {
  std::vector<std::string> labels;
  bool handoff = false;
  bool legal = false;

  void add(const pattern& p, std::string found) {
    if (std::find(labels.begin(), labels.end(), found) == labels.end()) {
      labels.push_back(std::move(found));
    }
    handoff = handoff || p.what == kind::handoff;
    legal = legal || p.what == kind::legal;
  }
};

// "can I talk to someone", "pásame con un asesor": a talk verb, then a person shortly after.
[[nodiscard]] bool asks_for_person(const std::vector<clause>& clauses, const tables& t) {
  for (const clause& c : clauses) {
    for (std::size_t i = 0; i < c.words.size(); ++i) {
      if (!any_at(c.words[i], t.talk_verbs)) continue;
      const std::size_t end = std::min(c.words.size(), i + 1 + kTalkReach);
      for (std::size_t j = i + 1; j < end; ++j) {
        if (any_at(c.words[j], t.people)) return true;
      }
    }
  }
  return false;
}

[[nodiscard]] keyword_hits find_keywords(const std::vector<clause>& clauses,
                                         const std::vector<std::string>& extra, const tables& t) {
  keyword_hits hits;
  for (const pattern& p : t.keywords) {
    if (std::string found = find_match(clauses, p); !found.empty()) hits.add(p, std::move(found));
  }
  for (const std::string& e : extra) {
    const pattern p = compile(e, kind::plain);
    if (std::string found = find_match(clauses, p); !found.empty()) hits.add(p, std::move(found));
  }
  if (asks_for_person(clauses, t)) {
    hits.handoff = true;
    if (hits.labels.empty()) hits.labels.emplace_back("request for a person");
  }
  return hits;
}

// ---- department -------------------------------------------------------------------------

[[nodiscard]] int count_matches(const std::vector<clause>& clauses,
                                const std::vector<pattern>& patterns) {
  int n = 0;
  for (const pattern& p : patterns) n += matches(clauses, p) ? 1 : 0;
  return n;
}

struct routing {
  std::string department;
  int topics = 0;  // departments with at least one match
};

[[nodiscard]] routing route(const std::vector<clause>& clauses, bool legal,
                            const std::string& fallback, const tables& t) {
  routing r;
  int best = 0;
  for (const auto& [name, patterns] : t.departments) {
    const int n = count_matches(clauses, patterns);
    if (n > 0) ++r.topics;
    if (n > best) {
      best = n;
      r.department = std::string(name);
    }
  }
  if (legal) r.department = "complaints";  // whoever handles complaints handles threats
  if (r.department.empty()) r.department = fallback.empty() ? "support" : fallback;
  return r;
}

// ---- complexity -------------------------------------------------------------------------

[[nodiscard]] bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

[[nodiscard]] bool is_inverted_question(std::string_view s, std::size_t i) {
  return static_cast<unsigned char>(s[i]) == 0xC2 && i + 1 < s.size() &&
         static_cast<unsigned char>(s[i + 1]) == 0xBF;
}

// "??" is one question; Spanish may mark a question only with "¿", so take the larger count.
[[nodiscard]] int count_questions(std::string_view s) {
  int closing = 0;
  int opening = 0;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '?' && (i == 0 || s[i - 1] != '?')) ++closing;
    if (is_inverted_question(s, i)) ++opening;
  }
  return std::max(closing, opening);
}

[[nodiscard]] std::size_t count_code_points(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

struct digit_group {
  int value = 0;
  std::size_t length = 0;
};

[[nodiscard]] digit_group read_digits(std::string_view s, std::size_t& i) {
  digit_group g;
  for (; i < s.size() && is_digit(s[i]); ++i, ++g.length) {
    if (g.length < 6) g.value = g.value * 10 + (s[i] - '0');
  }
  return g;
}

[[nodiscard]] bool day_month(const digit_group& a, const digit_group& b) {
  const bool short_groups = a.length <= 2 && b.length <= 2;
  const bool in_range = a.value >= 1 && b.value >= 1 && a.value <= 31 && b.value <= 31;
  return short_groups && in_range && (a.value <= 12 || b.value <= 12);
}

// dd/mm, dd/mm/yy(yy), dd-mm-yyyy, yyyy-mm-dd. A lone "3-4" ("3-4 días") is a range, not a
// date, so two groups need a slash.
[[nodiscard]] bool date_at(std::string_view s, std::size_t i) {
  const digit_group a = read_digits(s, i);
  if (i + 1 >= s.size() || (s[i] != '/' && s[i] != '-') || !is_digit(s[i + 1])) return false;
  const char sep = s[i++];
  const digit_group b = read_digits(s, i);
  const bool third = i + 1 < s.size() && s[i] == sep && is_digit(s[i + 1]);
  if (!third) return sep == '/' && day_month(a, b);
  ++i;
  const digit_group c = read_digits(s, i);
  if (a.length == 4) return day_month(b, c);
  return (c.length == 2 || c.length == 4) && day_month(a, b);
}

[[nodiscard]] bool has_numeric_date(std::string_view s) {
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (is_digit(s[i]) && (i == 0 || !is_digit(s[i - 1])) && date_at(s, i)) return true;
  }
  return false;
}

[[nodiscard]] bool has_month_name(const std::vector<clause>& clauses, const tables& t) {
  for (const clause& c : clauses) {
    for (const chat_word& w : c.words) {
      if (any_at(w, t.months)) return true;
    }
  }
  return false;
}

[[nodiscard]] int digit_count(std::string_view w) {
  return static_cast<int>(std::count_if(w.begin(), w.end(), is_digit));
}

// "#4821", "A12B34C", "48213", or any number right after "pedido"/"order"/...
[[nodiscard]] bool has_order_id(std::string_view raw, const std::vector<clause>& clauses,
                                const tables& t) {
  for (std::size_t i = 0; i + 1 < raw.size(); ++i) {
    if (raw[i] == '#' && is_digit(raw[i + 1])) return true;
  }
  for (const clause& c : clauses) {
    for (std::size_t i = 0; i < c.words.size(); ++i) {
      const std::string& w = c.words[i].text;
      const int digits = digit_count(w);
      if (digits >= 5) return true;
      if (digits > 0 && w.size() >= 5 && digits < static_cast<int>(w.size())) return true;
      if (digits > 0 && i > 0 && any_at(c.words[i - 1], t.order_words)) return true;
    }
  }
  return false;
}

[[nodiscard]] int distinct_numbers(const std::vector<clause>& clauses) {
  std::set<std::string> numbers;
  for (const clause& c : clauses) {
    for (const chat_word& w : c.words) {
      if (digit_count(w.text) > 0) numbers.insert(w.text);
    }
  }
  return static_cast<int>(numbers.size());
}

struct complexity {
  double fraction = 0;  // of w.complexity
  std::string detail;

  void add(double f, const std::string& why) {
    fraction = std::min(1.0, fraction + f);
    detail += (detail.empty() ? "" : ", ") + why;
  }
};

[[nodiscard]] complexity assess_complexity(std::string_view raw, const std::vector<clause>& clauses,
                                           int topics, const tables& t) {
  complexity c;
  const int questions = count_questions(raw);
  if (questions >= 2) c.add(questions >= 3 ? 0.5 : 0.35, std::to_string(questions) + " questions");
  const std::size_t chars = count_code_points(raw);
  if (chars > 400) c.add(chars > 800 ? 0.4 : 0.3, std::to_string(chars) + " characters");
  const int numbers = distinct_numbers(clauses);
  if (numbers >= 3) c.add(0.15, std::to_string(numbers) + " numbers");
  const bool date = has_numeric_date(raw) || has_month_name(clauses, t);
  if (date && has_order_id(raw, clauses, t)) c.add(0.3, "order id and date");
  if (topics >= 2) c.add(0.2, std::to_string(topics) + " topics");
  return c;
}

// ---- assembly ---------------------------------------------------------------------------

[[nodiscard]] double non_negative(double v) {
  return std::isfinite(v) ? std::max(0.0, v) : 0.0;
}

[[nodiscard]] weights sanitized(weights w) {
  w.sentiment = non_negative(w.sentiment);
  w.confidence = non_negative(w.confidence);
  w.length = non_negative(w.length);
  w.keywords = non_negative(w.keywords);
  w.complexity = non_negative(w.complexity);
  if (std::isnan(w.threshold)) w.threshold = weights{}.threshold;
  return w;
}

[[nodiscard]] std::string fixed2(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.2f", v);
  return buf;
}

[[nodiscard]] std::string join(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) out += (out.empty() ? "" : ", ") + p;
  return out;
}

void add_reason(decision& d, std::string code, std::string detail, double points) {
  if (!(points > 0)) return;
  d.score += points;
  d.reasons.push_back(reason{std::move(code), std::move(detail), points});
}

// The three most negative words, so an agent sees why at a glance.
[[nodiscard]] std::string sentiment_detail(const sentiment_analysis& a) {
  std::vector<sentiment_hit> hits;
  for (const sentiment_hit& h : a.hits) {
    if (h.valence < 0) hits.push_back(h);
  }
  std::stable_sort(hits.begin(), hits.end(), [](const sentiment_hit& x, const sentiment_hit& y) {
    return x.valence < y.valence;
  });
  std::vector<std::string> terms;
  for (std::size_t i = 0; i < hits.size() && i < 3; ++i) terms.push_back(hits[i].term);
  return "sentiment " + fixed2(a.score) + (terms.empty() ? "" : ": " + join(terms));
}

// See the header: full weight on fallback; otherwise half just under the bar, full from half.
[[nodiscard]] double confidence_fraction(const turn_signals& s, double low) {
  if (s.responder_fallback) return 1;
  const double c =
      std::isnan(s.responder_confidence) ? 0.0 : std::clamp(s.responder_confidence, 0.0, 1.0);
  if (!(low > 0) || c >= low) return 0;
  return std::clamp((low - c) / low + 0.5, 0.0, 1.0);
}

void score_confidence(const turn_signals& s, const tenant_rules& rules, const weights& w,
                      decision& d) {
  const double f = confidence_fraction(s, rules.low_confidence);
  std::string detail = "responder confidence " + fixed2(s.responder_confidence) + " < " +
                       fixed2(rules.low_confidence);
  if (s.responder_fallback) detail = "responder fell back";
  add_reason(d, "low_confidence", detail, w.confidence * f);
}

void score_length(const turn_signals& s, const tenant_rules& rules, const weights& w, decision& d) {
  if (s.resolved || s.customer_turns <= rules.long_conversation_turns) return;
  add_reason(d, "long_conversation",
             std::to_string(s.customer_turns) + " customer turns > " +
                 std::to_string(rules.long_conversation_turns) + ", unresolved",
             w.length);
}

[[nodiscard]] priority level_of(const decision& d) {
  if (!d.escalate) return priority::low;
  if (d.legal_threat || d.score >= 90) return priority::urgent;
  if (d.score >= 70 || d.sentiment <= -0.6) return priority::high;
  return priority::normal;
}

}  // namespace

std::string to_string(priority p) {
  switch (p) {
    case priority::low:
      return "low";
    case priority::normal:
      return "normal";
    case priority::high:
      return "high";
    case priority::urgent:
      return "urgent";
  }
  return "normal";
}

decision score(const turn_signals& s, const tenant_rules& rules) {
  const tables& t = the_tables();
  const weights w = sanitized(rules.w);
  const std::vector<clause> clauses = split_clauses(s.text);
  decision d;
  d.language = responder::detect_language(s.text);

  const sentiment_analysis mood = analyze_sentiment(clauses, s.text);
  d.sentiment = mood.score;
  add_reason(d, "sentiment", sentiment_detail(mood), w.sentiment * std::max(0.0, -mood.score));
  score_confidence(s, rules, w, d);
  score_length(s, rules, w, d);

  const keyword_hits hits = find_keywords(clauses, rules.extra_keywords, t);
  if (!hits.labels.empty() || hits.handoff) {
    add_reason(d, "keyword", "matched: " + join(hits.labels), w.keywords);
  }
  d.legal_threat = hits.legal;

  const routing r = route(clauses, hits.legal, rules.default_department, t);
  d.department = r.department;
  const complexity c = assess_complexity(s.text, clauses, r.topics, t);
  add_reason(d, "complexity", c.detail, w.complexity * c.fraction);

  const bool by_score = d.score >= w.threshold;
  const bool requested = rules.escalate_on_request && (hits.handoff || hits.legal);
  d.escalate = by_score || requested;
  d.forced = requested && !by_score;
  d.level = level_of(d);
  return d;
}

}  // namespace parley::logic::escalation
