// Unit tests for the escalation scorer and its sentiment lexicon, with Spanish and English chat
// as customers actually type it (caps, missing accents, stretched letters, "!!!").
#include "logic/escalation/escalation_scorer.hpp"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "logic/escalation/sentiment_lexicon.hpp"

using namespace parley::logic::escalation;

namespace {

turn_signals turn(std::string text, double confidence = 1.0) {
  turn_signals s;
  s.text = std::move(text);
  s.responder_confidence = confidence;
  s.customer_turns = 1;
  return s;
}

const reason* find_reason(const decision& d, const std::string& code) {
  auto it = std::find_if(d.reasons.begin(), d.reasons.end(),
                         [&](const reason& r) { return r.code == code; });
  return it == d.reasons.end() ? nullptr : &*it;
}

double points(const decision& d, const std::string& code) {
  const reason* r = find_reason(d, code);
  return r == nullptr ? 0 : r->points;
}

bool has_keyword(std::string text, const tenant_rules& rules = {}) {
  return find_reason(score(turn(std::move(text)), rules), "keyword") != nullptr;
}

// The squash the lexicon documents: x / sqrt(x^2 + 1).
double squash(double x) {
  return x / std::sqrt(x * x + 1);
}

}  // namespace

// ---- sentiment --------------------------------------------------------------------------

TEST(sentiment, empty_and_neutral_text_is_zero) {
  EXPECT_EQ(sentiment(""), 0);
  EXPECT_EQ(sentiment("   \n\t "), 0);
  EXPECT_EQ(sentiment("¿Cuál es el horario?"), 0);
  EXPECT_EQ(sentiment("What time do you open on Sunday?"), 0);
  EXPECT_EQ(sentiment("buenas tardes"), 0);  // a greeting, not praise
  EXPECT_EQ(sentiment("Good morning"), 0);
  EXPECT_EQ(sentiment("no gracias"), 0);      // a polite refusal, not flipped thanks
  EXPECT_EQ(sentiment("my hat is blue"), 0);  // "hate" does not reach "hat" through the stem
}

TEST(sentiment, table_of_signs) {
  struct row {
    const char* text;
    int sign;
  };
  const row rows[] = {
      {"horrible", -1},
      {"pésimo servicio", -1},
      {"pesimo servicio", -1},
      {"PESIMOOOO", -1},  // caps and stretched letters
      {"esto es una estafa", -1},
      {"this is a scam", -1},
      {"estoy furioso y molesto", -1},
      {"I'm so angry", -1},
      {"useless bot", -1},
      {"eres inútil", -1},
      {"mi pedido nunca llegó", -1},  // the phrase carries its own negation: not flipped
      {"it doesn't work", -1},
      {"no es bueno", -1},
      {"it isn't good", -1},
      {"not great", -1},
      {"me llegaron rotos", -1},
      {"the worst", -1},
      {"😡", -1},
      {"gracias", 1},
      {"graciasss!!", 1},
      {"excelente servicio", 1},
      {"perfect, thanks", 1},
      {"genial", 1},
      {"great job", 1},
      {"not bad", 1},  // a flipped negative is mildly positive
      {"no estoy molesto", 1},
      {"no hay problema", 1},
      {"nada mal", 1},
      {"👍", 1},
  };
  for (const row& r : rows) {
    const double s = sentiment(r.text);
    if (r.sign < 0) {
      EXPECT_LT(s, 0) << r.text;
    } else {
      EXPECT_GT(s, 0) << r.text;
    }
    EXPECT_GE(s, -1) << r.text;
    EXPECT_LE(s, 1) << r.text;
  }
}

TEST(sentiment, documented_values) {
  EXPECT_NEAR(sentiment("horrible"), squash(-0.9), 1e-9);
  EXPECT_NEAR(sentiment("gracias"), squash(0.5), 1e-9);
  EXPECT_NEAR(sentiment("not bad"), squash(-0.6 * -0.5), 1e-9);
  EXPECT_NEAR(sentiment("no es bueno"), squash(0.5 * -0.75), 1e-9);
  EXPECT_NEAR(sentiment("muy malo"), squash(-0.6 * 1.3), 1e-9);
  EXPECT_NEAR(sentiment("HORRIBLE"), squash(-0.9 * 1.25), 1e-9);
  EXPECT_NEAR(sentiment("horrible!!!"), squash(-0.9 * 1.24), 1e-9);
  EXPECT_NEAR(sentiment("horrible!!!!!!"), squash(-0.9 * 1.24), 1e-9);  // capped at three
}

TEST(sentiment, intensity_orders_messages) {
  EXPECT_LT(sentiment("muy malo"), sentiment("malo"));
  EXPECT_LT(sentiment("very very bad"), sentiment("very bad"));
  EXPECT_LT(sentiment("TERRIBLE!!!"), sentiment("terrible"));
  EXPECT_LT(sentiment("súper molesto"), sentiment("molesto"));
  EXPECT_GT(sentiment("muy bueno"), sentiment("bueno"));
  EXPECT_LT(sentiment("not good"), 0);
  EXPECT_GT(sentiment("not good"), sentiment("bad") - 1e-9);  // flipped praise is damped
}

TEST(sentiment, negation_reaches_three_words_within_the_clause) {
  EXPECT_GT(sentiment("no estoy para nada molesto"), 0);    // "molesto" is the 3rd word after
  EXPECT_LT(sentiment("no lo sé, pero estoy molesto"), 0);  // the comma ends the negation
  EXPECT_LT(sentiment("no tengo idea de por qué estoy molesto"), 0);  // too far away
  EXPECT_LT(sentiment("no, no funciona"), 0);
  EXPECT_LT(sentiment("no no funciona"), 0);  // the phrase is never flipped twice
  EXPECT_GT(sentiment("I'm not at all upset"), 0);
}

TEST(sentiment, mixed_messages_balance) {
  EXPECT_GT(sentiment("no estoy molesto, gracias por la ayuda"), 0);
  EXPECT_LT(sentiment("gracias, pero esto es una estafa y un fraude"), 0);
}

TEST(sentiment, a_rant_approaches_but_never_reaches_minus_one) {
  const double s = sentiment(
      "WORST SERVICE EVER!!! This is a SCAM, you are useless, incompetent liars. I'm furious, "
      "absolutely disgusting, horrible, awful, terrible 🤬🤬🤬");
  EXPECT_LT(s, -0.95);
  EXPECT_GT(s, -1);
}

TEST(sentiment, analysis_explains_itself) {
  const sentiment_analysis a = analyze_sentiment("no estoy molesto, pero el envío es pésimo");
  ASSERT_EQ(a.hits.size(), 2u);
  EXPECT_EQ(a.hits[0].term, "no molesto");
  EXPECT_GT(a.hits[0].valence, 0);
  EXPECT_EQ(a.hits[1].term, "pesimo");
  EXPECT_LT(a.hits[1].valence, 0);
}

TEST(sentiment, split_clauses_folds_and_marks_shouting) {
  const std::vector<clause> cs = split_clauses("¡NO FUNCIONA! I don't know, OK?");
  ASSERT_EQ(cs.size(), 3u);
  ASSERT_EQ(cs[0].words.size(), 2u);
  EXPECT_EQ(cs[0].words[0].text, "no");
  EXPECT_TRUE(cs[0].words[0].shouted);
  EXPECT_EQ(cs[0].exclamations, 1);
  ASSERT_EQ(cs[1].words.size(), 3u);
  EXPECT_EQ(cs[1].words[1].text, "dont");
  EXPECT_FALSE(cs[1].words[1].shouted);
  EXPECT_EQ(squeeze("graciasss"), "gracias");
  EXPECT_EQ(squeeze("ñññ"), "ñññ");  // only ASCII letters collapse; UTF-8 stays intact
}

TEST(sentiment, garbage_and_invalid_utf8_never_crash) {
  const std::string samples[] = {
      std::string("\xff\xfe\xfd", 3),
      std::string("\xc3", 1),
      std::string("\xc2", 1),
      std::string("abc\xc2", 4),
      std::string("\xed\xa0\x80 surrogate", 12),
      std::string("no\0molesto", 10),
      std::string("!!!???¿¿¡¡...,,,"),
      std::string(100000, '!'),
      std::string(100000, 'a'),
  };
  for (const std::string& s : samples) {
    const double v = sentiment(s);
    EXPECT_TRUE(std::isfinite(v));
    EXPECT_GE(v, -1);
    EXPECT_LE(v, 1);
    const decision d = score(turn(s));
    EXPECT_TRUE(std::isfinite(d.score));
  }
  std::mt19937 rng(42);
  std::uniform_int_distribution<int> byte(0, 255);
  for (int i = 0; i < 300; ++i) {
    std::string s(static_cast<std::size_t>(i % 97), '\0');
    for (char& c : s) c = static_cast<char>(byte(rng));
    const decision d = score(turn(s));
    EXPECT_TRUE(std::isfinite(d.score));
    EXPECT_GE(d.sentiment, -1);
    EXPECT_LE(d.sentiment, 1);
  }
}

// ---- the spec's conversations -------------------------------------------------------------

TEST(escalation, manager_and_scam_escalates_with_keyword_and_sentiment) {
  const decision d = score(turn("Quiero hablar con un GERENTE, esto es una estafa!!!"));
  EXPECT_TRUE(d.escalate);
  EXPECT_FALSE(d.forced);  // the score alone is enough
  ASSERT_NE(find_reason(d, "keyword"), nullptr);
  ASSERT_NE(find_reason(d, "sentiment"), nullptr);
  EXPECT_EQ(points(d, "keyword"), 35);
  EXPECT_NEAR(points(d, "sentiment"), 30 * -squash(-0.9 * 1.24), 1e-9);  // 22.3
  EXPECT_NEAR(d.score, 57.3, 0.05);
  EXPECT_EQ(d.department, "complaints");
  EXPECT_EQ(d.level, priority::high);  // sentiment <= -0.6
  EXPECT_EQ(d.language, "es");
  EXPECT_NE(find_reason(d, "keyword")->detail.find("gerente"), std::string::npos);
  EXPECT_NE(find_reason(d, "sentiment")->detail.find("estafa"), std::string::npos);
}

TEST(escalation, negated_annoyance_with_thanks_does_not_escalate) {
  const decision d = score(turn("no estoy molesto, gracias por la ayuda"));
  EXPECT_FALSE(d.escalate);
  EXPECT_GT(d.sentiment, 0);
  EXPECT_EQ(find_reason(d, "sentiment"), nullptr);
  EXPECT_EQ(d.score, 0);
  EXPECT_EQ(d.level, priority::low);
}

TEST(escalation, refund_for_a_broken_product_goes_to_billing) {
  const decision d = score(turn("I want a refund, the product arrived broken"));
  EXPECT_TRUE(d.escalate);
  EXPECT_EQ(d.department, "billing");
  EXPECT_EQ(points(d, "keyword"), 35);
  EXPECT_NEAR(points(d, "sentiment"), 30 * -squash(-0.7), 1e-9);  // 17.2
  EXPECT_NEAR(d.score, 52.2, 0.05);
  EXPECT_EQ(d.level, priority::normal);
  EXPECT_EQ(d.language, "en");
}

TEST(escalation, a_confident_answer_to_a_plain_question_scores_zero) {
  const decision d = score(turn("¿Cuál es el horario?", 0.9));
  EXPECT_FALSE(d.escalate);
  EXPECT_EQ(d.score, 0);
  EXPECT_TRUE(d.reasons.empty());
  EXPECT_EQ(d.level, priority::low);
  EXPECT_EQ(d.department, "support");
}

TEST(escalation, a_fallback_alone_stays_under_the_threshold) {
  turn_signals s = turn("¿Cuál es el horario?", 0.2);
  s.responder_fallback = true;
  const decision d = score(s);
  ASSERT_NE(find_reason(d, "low_confidence"), nullptr);
  EXPECT_EQ(points(d, "low_confidence"), 25);
  EXPECT_EQ(d.score, 25);
  EXPECT_FALSE(d.escalate);  // 25 < 50
}

TEST(escalation, low_confidence_scales_with_the_gap) {
  auto conf = [](double c) { return points(score(turn("¿hacen envíos?", c)), "low_confidence"); };
  EXPECT_EQ(conf(0.6), 0);                                 // at the bar: fine
  EXPECT_NEAR(conf(0.59), 25 * (0.01 / 0.6 + 0.5), 1e-9);  // just under: about half
  EXPECT_NEAR(conf(0.5), 25 * (0.1 / 0.6 + 0.5), 1e-9);    // 16.7
  EXPECT_EQ(conf(0.3), 25);                                // half the bar or lower: all of it
  EXPECT_EQ(conf(0.0), 25);
  EXPECT_EQ(conf(-3), 25);
  EXPECT_EQ(conf(std::numeric_limits<double>::quiet_NaN()), 25);
  EXPECT_EQ(conf(7), 0);
}

TEST(escalation, long_unresolved_conversations_count) {
  turn_signals s = turn("ok, ¿y luego?");
  s.customer_turns = 16;
  const decision d = score(s);
  ASSERT_NE(find_reason(d, "long_conversation"), nullptr);
  EXPECT_EQ(points(d, "long_conversation"), 20);
  EXPECT_FALSE(d.escalate);

  s.customer_turns = 15;  // "more than" fifteen
  EXPECT_EQ(find_reason(score(s), "long_conversation"), nullptr);
  s.customer_turns = 40;
  s.resolved = true;
  EXPECT_EQ(find_reason(score(s), "long_conversation"), nullptr);
}

TEST(escalation, a_profeco_complaint_is_urgent) {
  const decision d = score(turn("voy a poner una denuncia en profeco"));
  EXPECT_TRUE(d.escalate);
  EXPECT_TRUE(d.forced);  // 35 points, below 50, but a legal threat is never left to arithmetic
  EXPECT_TRUE(d.legal_threat);
  EXPECT_EQ(d.score, 35);
  EXPECT_EQ(d.level, priority::urgent);
  EXPECT_EQ(d.department, "complaints");
}

TEST(escalation, legal_threats_in_both_languages) {
  for (const char* text : {"Los voy a demandar", "hablaré con mi abogado", "I will sue you",
                           "my lawyer will contact you", "I'm going to sue", "filed a lawsuit",
                           "acudiré a PROFECO", "presentaré una demanda"}) {
    const decision d = score(turn(text));
    EXPECT_TRUE(d.legal_threat) << text;
    EXPECT_EQ(d.level, priority::urgent) << text;
  }
  // "demanda" is also "demand" and Sue is a name.
  for (const char* text : {"hay mucha demanda esta semana", "Hi, this is Sue from accounting"}) {
    const decision d = score(turn(text));
    EXPECT_FALSE(d.legal_threat) << text;
    EXPECT_FALSE(d.escalate) << text;
  }
}

// ---- keyword matching -------------------------------------------------------------------

TEST(keywords, accents_and_case_do_not_matter) {
  EXPECT_TRUE(has_keyword("CANCELACIÓN"));
  EXPECT_TRUE(has_keyword("cancelacion"));
  EXPECT_TRUE(has_keyword("Cancelación de mi plan"));
  EXPECT_TRUE(has_keyword("quiero CANCELAR"));
  EXPECT_TRUE(has_keyword("REEMBOLSO YA"));
  EXPECT_TRUE(has_keyword("una devolucion"));
  EXPECT_TRUE(has_keyword("las devoluciones"));
  EXPECT_TRUE(has_keyword("QuEjA"));
}

TEST(keywords, whole_words_stems_and_prefixes) {
  EXPECT_TRUE(has_keyword("why was my order cancelled?"));  // "cancel*"
  EXPECT_TRUE(has_keyword("refunded twice?"));
  EXPECT_TRUE(has_keyword("los supervisores"));  // same stem
  EXPECT_TRUE(has_keyword("get me your managers"));
  EXPECT_FALSE(has_keyword("a supervisory board"));  // not a word boundary
  EXPECT_FALSE(has_keyword("management approved it"));
  EXPECT_FALSE(has_keyword("aquejado"));  // "quej*" is a prefix, not infix
  EXPECT_FALSE(has_keyword("¿tienen envíos a Monterrey?"));
}

TEST(keywords, phrases_match_on_word_boundaries_only) {
  EXPECT_TRUE(has_keyword("necesito hablar con una persona"));
  EXPECT_TRUE(has_keyword("quiero hablar con un humano por favor"));
  EXPECT_TRUE(has_keyword("I need a real person"));
  EXPECT_TRUE(has_keyword("Can I speak to a human?"));
  EXPECT_FALSE(has_keyword("surreal personality"));
  EXPECT_FALSE(has_keyword("hablar, con una persona"));  // a clause break is not a phrase
}

TEST(keywords, a_request_for_a_person_forces_escalation) {
  for (const char* text :
       {"can I talk to someone?", "let me speak with an actual human", "pásame con un asesor",
        "quiero hablar con alguien de verdad", "necesito comunicarme con un agente"}) {
    const decision d = score(turn(text));
    EXPECT_TRUE(d.escalate) << text;
    EXPECT_TRUE(d.forced) << text;
    EXPECT_EQ(d.score, 35) << text;
    EXPECT_EQ(d.level, priority::normal) << text;
  }
  tenant_rules strict;
  strict.escalate_on_request = false;
  const decision d = score(turn("can I talk to someone?"), strict);
  EXPECT_FALSE(d.escalate);
  EXPECT_EQ(d.level, priority::low);
}

TEST(keywords, tenant_extra_keywords_are_folded) {
  tenant_rules rules;
  rules.extra_keywords = {"Garantía", "portabilidad*", "mal servicio", "", "  "};
  EXPECT_TRUE(has_keyword("¿cómo funciona la GARANTIA?", rules));
  EXPECT_TRUE(has_keyword("portabilidad numérica", rules));
  EXPECT_TRUE(has_keyword("qué MAL SERVICIO", rules));
  EXPECT_FALSE(has_keyword("¿cómo funciona la garantia?"));
  EXPECT_FALSE(has_keyword("¿hacen envíos?", rules));  // empty extras match nothing
  const decision d = score(turn("la garantía"), rules);
  EXPECT_EQ(find_reason(d, "keyword")->detail, "matched: garantia");
  EXPECT_EQ(find_reason(score(turn("why was it cancelled?")), "keyword")->detail,
            "matched: cancelled");
}

// ---- departments ------------------------------------------------------------------------

TEST(departments, routed_by_topic) {
  EXPECT_EQ(score(turn("me hicieron un cobro doble en la factura")).department, "billing");
  EXPECT_EQ(score(turn("the payment failed")).department, "billing");
  EXPECT_EQ(score(turn("¿cuánto cuesta? quiero comprar dos")).department, "sales");
  EXPECT_EQ(score(turn("can you send me a quote")).department, "sales");
  EXPECT_EQ(score(turn("la app me marca error")).department, "technical");
  EXPECT_EQ(score(turn("the login doesn't work")).department, "technical");
  EXPECT_EQ(score(turn("tengo una queja")).department, "complaints");
  EXPECT_EQ(score(turn("I have a complaint")).department, "complaints");
  EXPECT_EQ(score(turn("hola")).department, "support");
  tenant_rules rules;
  rules.default_department = "recepcion";
  EXPECT_EQ(score(turn("hola"), rules).department, "recepcion");
  rules.default_department.clear();
  EXPECT_EQ(score(turn("hola"), rules).department, "support");
}

TEST(departments, ties_prefer_billing_and_threats_go_to_complaints) {
  EXPECT_EQ(score(turn("queja: me cobraron dos veces")).department, "billing");
  EXPECT_EQ(score(turn("si no me reembolsan los demando con mi abogado")).department, "complaints");
}

// ---- complexity -------------------------------------------------------------------------

TEST(complexity, several_questions_with_order_and_date) {
  const decision d = score(turn(
      "Hola, mi pedido #48213 del 12/03 no ha llegado. ¿Dónde está? ¿Me dan el número de guía? "
      "¿Cuándo llega?"));
  // 3 questions 0.5 + order id and date 0.3 + 3 numbers 0.15 = 0.95 of 15
  EXPECT_NEAR(points(d, "complexity"), 15 * 0.95, 1e-9);
  EXPECT_NE(find_reason(d, "complexity")->detail.find("order id and date"), std::string::npos);
  EXPECT_NE(find_reason(d, "sentiment"), nullptr);  // "no ha llegado"
  EXPECT_FALSE(d.escalate);
}

TEST(complexity, signals_one_by_one) {
  EXPECT_EQ(points(score(turn("¿Tienen envíos?")), "complexity"), 0);
  EXPECT_NEAR(points(score(turn("¿Tienen envíos? ¿Y a qué hora abren?")), "complexity"), 15 * 0.35,
              1e-9);
  EXPECT_EQ(points(score(turn("what??? really???")), "complexity"), 15 * 0.35);
  EXPECT_NEAR(points(score(turn("order A12B345 placed on March 3rd")), "complexity"), 15 * 0.3,
              1e-9);
  // order id and date, and four numbers (1234, 2024, 03, 12)
  EXPECT_NEAR(points(score(turn("pedido 1234 del 2024-03-12")), "complexity"), 15 * 0.45, 1e-9);
  // "3-4" is a range, not a date: only the three numbers count
  EXPECT_NEAR(points(score(turn("llega en 3-4 días, pedido 1234")), "complexity"), 15 * 0.15, 1e-9);
  std::string long_text;
  while (long_text.size() <= 420) long_text += "Les escribo para comentar algo del envío. ";
  EXPECT_NEAR(points(score(turn(long_text)), "complexity"), 15 * 0.3, 1e-9);
  long_text += long_text;
  EXPECT_NEAR(points(score(turn(long_text)), "complexity"), 15 * 0.4, 1e-9);
  // billing + technical topics
  EXPECT_NEAR(points(score(turn("the app shows an error on the invoice")), "complexity"), 15 * 0.2,
              1e-9);
}

// ---- tenant weights and priorities ------------------------------------------------------

TEST(tenants, custom_weights_and_threshold) {
  tenant_rules rules;
  rules.w.keywords = 60;
  EXPECT_FALSE(score(turn("quiero cancelar mi suscripción")).escalate);  // 35 < 50
  const decision d = score(turn("quiero cancelar mi suscripción"), rules);
  EXPECT_TRUE(d.escalate);
  EXPECT_EQ(d.score, 60);

  tenant_rules cautious;
  cautious.w.threshold = 15;
  cautious.low_confidence = 0.8;
  const decision c = score(turn("¿hacen envíos a Quito?", 0.7), cautious);
  EXPECT_NEAR(c.score, 25 * (0.1 / 0.8 + 0.5), 1e-9);  // 15.6
  EXPECT_TRUE(c.escalate);
  EXPECT_EQ(c.level, priority::normal);

  tenant_rules quiet;
  quiet.w.sentiment = -10;  // nonsense weights count as zero
  quiet.w.complexity = std::numeric_limits<double>::quiet_NaN();
  const decision q = score(turn("esto es horrible?? y pésimo??"), quiet);
  EXPECT_EQ(q.score, 0);
  EXPECT_TRUE(q.reasons.empty());
}

TEST(tenants, long_conversation_turns_is_configurable) {
  tenant_rules rules;
  rules.long_conversation_turns = 5;
  turn_signals s = turn("¿y ahora?");
  s.customer_turns = 6;
  EXPECT_EQ(points(score(s, rules), "long_conversation"), 20);
}

TEST(priorities, follow_the_score_and_the_mood) {
  turn_signals s = turn("quiero cancelar", 0.1);  // 35 + 25 = 60: normal
  EXPECT_EQ(score(s).level, priority::normal);
  s.customer_turns = 20;  // + 20 = 80: high
  EXPECT_EQ(score(s).level, priority::high);
  s.text = "quiero cancelar, esto es horrible";  // + 20.1 = 100.1: urgent
  const decision d = score(s);
  EXPECT_NEAR(d.score, 80 + 30 * -squash(-0.9), 1e-9);
  EXPECT_EQ(d.level, priority::urgent);
  EXPECT_EQ(to_string(priority::low), "low");
  EXPECT_EQ(to_string(priority::normal), "normal");
  EXPECT_EQ(to_string(priority::high), "high");
  EXPECT_EQ(to_string(priority::urgent), "urgent");
}

TEST(decisions, reasons_add_up_to_the_score_and_stay_in_range) {
  const char* texts[] = {
      "Quiero hablar con un GERENTE, esto es una estafa!!!",
      "WORST SERVICE EVER, I want a refund and my lawyer will call, order #12345 from 03/04/2024"
      " — why?? how?? when???",
      "gracias!",
      "",
  };
  for (const char* text : texts) {
    turn_signals s = turn(text, 0);
    s.responder_fallback = true;
    s.customer_turns = 99;
    const decision d = score(s);
    double sum = 0;
    for (const reason& r : d.reasons) {
      EXPECT_GT(r.points, 0) << text;
      sum += r.points;
    }
    EXPECT_NEAR(sum, d.score, 1e-9) << text;
    EXPECT_GE(d.score, 0) << text;
    EXPECT_LE(d.score, 30 + 25 + 20 + 35 + 15) << text;
  }
}

TEST(decisions, concurrent_use_is_deterministic) {
  const std::string text = "I want a refund, the product arrived broken";
  std::vector<double> scores(4);
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    threads.emplace_back([&, i] { scores[i] = score(turn(text)).score; });
  }
  for (std::thread& t : threads) t.join();
  for (double s : scores) EXPECT_EQ(s, scores[0]);
}
