#include "logic/responder/turn_answer.hpp"

#include <algorithm>
#include <set>
#include <vector>

namespace parley::logic::responder {

answer answer_turn(const knowledge_index& index, std::string_view turn_text) {
  auto whole = index.respond(turn_text);
  if (turn_text.find('\n') == std::string_view::npos) return whole;
  std::vector<answer> parts;
  std::set<int64_t> seen;
  std::size_t start = 0;
  while (start <= turn_text.size()) {
    auto end = turn_text.find('\n', start);
    auto line = turn_text.substr(
        start, end == std::string_view::npos ? std::string_view::npos : end - start);
    auto a = index.respond(line);
    if (!a.fallback && seen.insert(a.entry_id).second) parts.push_back(std::move(a));
    if (end == std::string_view::npos) break;
    start = end + 1;
  }
  // One topic (or none) across the lines: the whole turn's answer is the better one.
  if (parts.empty() || (parts.size() == 1 && !whole.fallback)) return whole;
  answer combined = parts.front();
  for (std::size_t i = 1; i < parts.size(); ++i) {
    combined.text += "\n\n" + parts[i].text;
    combined.confidence = std::min(combined.confidence, parts[i].confidence);
  }
  combined.language = whole.language;
  return combined;
}

}  // namespace parley::logic::responder
