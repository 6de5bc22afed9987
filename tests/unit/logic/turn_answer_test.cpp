#include "logic/responder/turn_answer.hpp"

#include <gtest/gtest.h>

using namespace parley::logic::responder;

namespace {
knowledge_index shop() {
  knowledge_index idx;
  idx.add(
      {1, "¿Cuánto tarda el envío?", "Los envíos nacionales tardan de 2 a 4 días hábiles.", true});
  idx.add({2, "Devoluciones y reembolsos",
           "Puedes devolver un producto dentro de los 30 días. El reembolso se hace al mismo medio "
           "de pago.",
           false});
  idx.add({3, "¿Cuál es el horario de atención?", "De lunes a viernes de 9:00 a 18:00.", true});
  return idx;
}
}  // namespace

TEST(answer_turn, a_single_line_is_answered_as_is) {
  auto idx = shop();
  auto a = answer_turn(idx, "¿cuánto tarda el envío?");
  EXPECT_FALSE(a.fallback);
  EXPECT_EQ(a.entry_id, 1);
}

TEST(answer_turn, a_burst_of_two_questions_gets_both_answers) {
  auto idx = shop();
  auto a = answer_turn(
      idx, "¿Cuánto tarda el envío?\nquiero devolver un producto, ¿cómo es el reembolso?");
  EXPECT_FALSE(a.fallback);
  EXPECT_NE(a.text.find("2 a 4 días"), std::string::npos) << a.text;
  EXPECT_NE(a.text.find("30 días"), std::string::npos) << a.text;
}

TEST(answer_turn, greetings_and_one_question_answer_the_question_once) {
  auto idx = shop();
  auto a = answer_turn(idx, "hola\nbuenas tardes\n¿cuál es el horario?\n¿el horario de atención?");
  EXPECT_FALSE(a.fallback);
  EXPECT_EQ(a.text, "De lunes a viernes de 9:00 a 18:00.");
}

TEST(answer_turn, nothing_known_stays_a_fallback) {
  auto idx = shop();
  auto a = answer_turn(idx, "me gusta el fútbol\n¿y a ti?");
  EXPECT_TRUE(a.fallback);
}
