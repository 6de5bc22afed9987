#pragma once
// Escalation scorer: decides whether a WhatsApp conversation should be handed to a human, how
// urgently and to which department. The tenant's escalation actor calls score() for each
// customer turn (a merged burst) with the responder's confidence for that turn and the tenant's
// rules. Pure, deterministic and thread-safe; no I/O, no clocks.
//
// Scoring model (points add up; defaults in brackets, score in 0..sum of weights = 125):
//   sentiment  [30]  w.sentiment * max(0, -sentiment(text)); only unhappiness counts.
//   low_confidence [25]  when the responder fell back, or its confidence c < rules.low_confidence
//                    (L): w.confidence * clamp((L - c) / L + 0.5, 0, 1). Just under L earns half,
//                    from L/2 down the full weight; a fallback always earns the full weight.
//                    A NaN confidence counts as 0.
//   long_conversation [20]  w.length when customer_turns > rules.long_conversation_turns and the
//                    conversation is not resolved.
//   keyword    [35]  w.keywords when any escalation keyword or phrase matches (built-in list plus
//                    rules.extra_keywords). Matching is on folded words (accents and case never
//                    matter), whole words only: a word matches when it equals the keyword, has the
//                    same responder::stem ("supervisores" ~ "supervisor"), or, for keywords
//                    written with a trailing '*', starts with it ("cancel*" takes "cancelled",
//                    "cancelación", "cancelar"). "supervisory" does not match "supervisor".
//                    A request to talk to a human is also recognised as a talk verb ("hablar",
//                    "speak", "talk", "comunicarme", ...) followed within four words by a person
//                    ("persona", "humano", "agent", "alguien", "gerente", ...).
//   complexity [15]  w.complexity * min(1, sum of): two questions 0.35 / three or more 0.5;
//                    over 400 characters 0.3 / over 800 0.4; three or more distinct numbers 0.15;
//                    an order id together with a date 0.3; two or more departments' topics 0.2.
// escalate = score >= w.threshold, or (rules.escalate_on_request) the customer explicitly asked
// for a human or threatened legal action: those are never left to arithmetic, since with the
// default weights a keyword alone (35) stays under the threshold (50).
// Priority, for escalated turns (low otherwise): urgent on a legal threat (lawyer, abogado,
// demanda(r), sue, denuncia, consumer-protection agencies such as PROFECO) or score >= 90; high on
// score >= 70 or sentiment <= -0.6; normal otherwise.
//
// Examples with the default rules:
//   "¿Cuál es el horario?", confidence 0.9                    ->  0, no escalation
//   same, confidence 0.2 and fallback                          -> 25 (low_confidence), none
//   "I want a refund, the product arrived broken"               -> 35 + 17.2 = 52.2, normal
//   "Quiero hablar con un GERENTE, esto es una estafa!!!"       -> 35 + 22.3 = 57.3, high
//   "voy a poner una denuncia en profeco"                       -> 35, forced, urgent
#include <string>
#include <string_view>
#include <vector>

#include "logic/escalation/sentiment_lexicon.hpp"

namespace parley::logic::escalation {

struct weights {
  double sentiment = 30;
  double confidence = 25;
  double length = 20;
  double keywords = 35;
  double complexity = 15;
  double threshold = 50;  // negative or non-finite weights count as 0; a NaN threshold as 50
};

/// Per-tenant configuration.
struct tenant_rules {
  weights w;
  double low_confidence = 0.6;              // responder confidence below this counts
  int long_conversation_turns = 15;         // more customer turns than this, unresolved, count
  std::vector<std::string> extra_keywords;  // added to the built-in list; "foo*" = prefix
  std::string default_department = "support";
  bool escalate_on_request = true;  // explicit human requests and legal threats always escalate
};

struct turn_signals {
  std::string text;  // the customer's turn (merged burst)
  double responder_confidence = 1.0;
  bool responder_fallback = false;
  int customer_turns = 0;  // customer turns so far in this conversation, including this one
  bool resolved = false;   // e.g. the customer said thanks and the bot answered confidently
};

/// code: sentiment | low_confidence | long_conversation | keyword | complexity
struct reason {
  std::string code;
  std::string detail;  // for agents and logs: "sentiment -0.73: estafa", "matched: gerente"
  double points;
};

enum class priority { low, normal, high, urgent };

[[nodiscard]] std::string to_string(priority p);

struct decision {
  bool escalate = false;
  double score = 0;             // 0..sum(weights)
  std::vector<reason> reasons;  // every signal that contributed, with its points
  priority level = priority::normal;
  /// "billing" (refund/reembolso/cobro/charge/factura/invoice/payment/pago), "sales"
  /// (precio/price/comprar/buy/cotización/quote), "technical" (error/falla/no funciona/doesn't
  /// work/bug/app), "complaints" (queja/reclamo/complaint/estafa and every legal threat), else
  /// the tenant default. The department with the most matches wins; ties go in that order.
  std::string department;
  std::string language;  // "es" | "en"
  double sentiment = 0;  // sentiment(text), for the agent's view
  bool forced = false;   // escalated by an explicit request or legal threat below threshold
  bool legal_threat = false;
};

// double sentiment(std::string_view text) is declared in sentiment_lexicon.hpp.

[[nodiscard]] decision score(const turn_signals& s, const tenant_rules& rules = {});

}  // namespace parley::logic::escalation
