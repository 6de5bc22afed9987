#pragma once
// Answers a whole customer turn. A turn merges a burst of messages (one per line). Asked as a
// whole, several questions dilute each other (below the threshold, or only one gets answered),
// so each line is also answered on its own: when the lines hit several entries, their answers
// are combined in the order asked; otherwise the whole turn's answer stands.
// Pure; called by the support agent.
#include <string_view>

#include "logic/responder/knowledge_index.hpp"

namespace parley::logic::responder {

[[nodiscard]] answer answer_turn(const knowledge_index& index, std::string_view turn_text);

}  // namespace parley::logic::responder
