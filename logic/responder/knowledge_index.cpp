// Per-tenant knowledge-base retrieval; see knowledge_index.hpp.
#include "logic/responder/knowledge_index.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <utility>

#include "logic/responder/text_fold.hpp"

namespace parley::logic::responder {

namespace {

constexpr double kK1 = 1.2;
constexpr double kB = 0.75;
// A customer's question is usually phrased like an FAQ question, less like an article title,
// and least like the prose of a body.
constexpr double kFaqQuestionBoost = 3.0;
constexpr double kArticleTitleBoost = 2.0;
constexpr double kContentBoost = 1.0;
// A query word no entry contains is often a name ("Bogotá") the KB would never spell out, so
// it counts half as much as the rarest indexed word; several of them still sink confidence.
constexpr double kUnknownTermWeight = 0.5;
// With full coverage but a tie for first place the answer is still likely right (an FAQ and
// an article on the same topic), so the margin scales confidence between 0.6 and 1.
constexpr double kMarginFloor = 0.6;
// A passage shorter than this (a heading, a label) is extended with what follows it even when
// the following text shares no query word.
constexpr std::size_t kShortPassageChars = 80;

using range = std::pair<std::size_t, std::size_t>;  // [begin, end) byte offsets

[[nodiscard]] bool all_digits(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; });
}

[[nodiscard]] std::size_t utf8_length(std::string_view s) {
  return static_cast<std::size_t>(std::count_if(
      s.begin(), s.end(), [](char c) { return (static_cast<unsigned char>(c) & 0xC0) != 0x80; }));
}

[[nodiscard]] bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

[[nodiscard]] range trim(std::string_view s, range r) {
  while (r.first < r.second && is_space(s[r.first])) ++r.first;
  while (r.second > r.first && is_space(s[r.second - 1])) --r.second;
  return r;
}

[[nodiscard]] std::string trimmed(std::string_view s) {
  const range r = trim(s, {0, s.size()});
  return std::string(s.substr(r.first, r.second - r.first));
}

// Non-empty lines: KB editors separate paragraphs and list items with line breaks.
[[nodiscard]] std::vector<range> paragraphs(std::string_view text) {
  std::vector<range> out;
  std::size_t begin = 0;
  while (begin < text.size()) {
    std::size_t end = text.find('\n', begin);
    if (end == std::string_view::npos) end = text.size();
    const range r = trim(text, {begin, end});
    if (r.first < r.second) out.push_back(r);
    begin = end + 1;
  }
  return out;
}

[[nodiscard]] bool sentence_end(std::string_view text, std::size_t i) {
  const char c = text[i];
  return (c == '.' || c == '!' || c == '?') && i + 1 < text.size() && is_space(text[i + 1]);
}

[[nodiscard]] std::vector<range> sentences(std::string_view text, range paragraph) {
  std::vector<range> out;
  std::size_t begin = paragraph.first;
  for (std::size_t i = paragraph.first; i < paragraph.second; ++i) {
    if (!sentence_end(text, i)) continue;
    const range r = trim(text, {begin, i + 1});
    if (r.first < r.second) out.push_back(r);
    begin = i + 1;
  }
  const range last = trim(text, {begin, paragraph.second});
  if (last.first < last.second) out.push_back(last);
  return out;
}

// Paragraphs, with any paragraph longer than `limit` characters split into sentences.
[[nodiscard]] std::vector<range> passage_ranges(std::string_view text, std::size_t limit) {
  std::vector<range> out;
  for (const range& p : paragraphs(text)) {
    if (utf8_length(text.substr(p.first, p.second - p.first)) <= limit) {
      out.push_back(p);
      continue;
    }
    for (const range& s : sentences(text, p)) out.push_back(s);
  }
  return out;
}

// Cuts at a word boundary, never inside a UTF-8 sequence, and marks the cut.
[[nodiscard]] std::string truncate(std::string_view text, std::size_t limit) {
  std::size_t chars = 0;
  std::size_t cut = 0;
  while (cut < text.size() && chars < limit) {
    ++cut;
    while (cut < text.size() && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) ++cut;
    ++chars;
  }
  if (cut >= text.size()) return std::string(text);
  const std::size_t space = text.find_last_of(" \t\n", cut);
  if (space != std::string_view::npos && space > cut / 2) cut = space;
  return trimmed(text.substr(0, cut)) + "…";
}

[[nodiscard]] double length_norm(uint32_t len, double avg_len) {
  return (1.0 - kB) + kB * static_cast<double>(len) / avg_len;
}

[[nodiscard]] double average(uint64_t total, std::size_t n) {
  // Guards an all-empty field: its tf is 0 everywhere, so any positive average is harmless.
  if (n == 0) return 1.0;
  return std::max(1.0, static_cast<double>(total) / static_cast<double>(n));
}

}  // namespace

knowledge_index::knowledge_index(responder_settings s) : settings_(std::move(s)) {}

void knowledge_index::add(kb_entry e) {
  const auto doc = static_cast<uint32_t>(docs_.size());
  const std::vector<std::string> title_terms = tokenize(e.title);
  const std::vector<std::string> content_terms = tokenize(e.content);

  std::map<std::string, posting> counts;  // ordered: postings are built deterministically
  for (const std::string& t : title_terms) ++counts[t].title_tf;
  for (const std::string& t : content_terms) ++counts[t].content_tf;
  for (auto& [term, p] : counts) {
    p.doc = doc;
    postings_[term].push_back(p);
  }

  document d;
  d.title_len = static_cast<uint32_t>(title_terms.size());
  d.content_len = static_cast<uint32_t>(content_terms.size());
  if (!e.faq) {
    for (const range& r : passage_ranges(e.content, settings_.max_passage_chars)) {
      passage p{r.first, r.second, tokenize(e.content.substr(r.first, r.second - r.first))};
      std::sort(p.terms.begin(), p.terms.end());
      p.terms.erase(std::unique(p.terms.begin(), p.terms.end()), p.terms.end());
      d.passages.push_back(std::move(p));
    }
  }
  d.entry = std::move(e);
  total_title_len_ += d.title_len;
  total_content_len_ += d.content_len;
  docs_.push_back(std::move(d));
}

double knowledge_index::idf(std::size_t df) const {
  // Lucene's BM25 idf: positive even for terms in most entries, so every match counts a little.
  const auto n = static_cast<double>(docs_.size());
  const auto d = static_cast<double>(df);
  return std::log(1.0 + (n - d + 0.5) / (d + 0.5));
}

std::vector<knowledge_index::query_term> knowledge_index::query_terms(
    std::string_view question) const {
  std::vector<query_term> out;
  for (std::string& t : tokenize(question)) {
    const bool seen =
        std::any_of(out.begin(), out.end(), [&](const query_term& q) { return q.term == t; });
    if (seen) continue;  // short questions: repetition is emphasis, not extra evidence
    query_term q;
    if (const auto it = postings_.find(t); it != postings_.end()) {
      q.postings = &it->second;
      q.idf = idf(it->second.size());
    }
    q.term = std::move(t);
    out.push_back(std::move(q));
  }
  return out;
}

// BM25F: boosted, per-field length-normalised term frequencies summed before saturation.
std::vector<double> knowledge_index::scores(const std::vector<query_term>& terms) const {
  std::vector<double> out(docs_.size(), 0.0);
  const double avg_title = average(total_title_len_, docs_.size());
  const double avg_content = average(total_content_len_, docs_.size());
  for (const query_term& t : terms) {
    if (t.postings == nullptr) continue;
    for (const posting& p : *t.postings) {
      const document& d = docs_[p.doc];
      const double title_boost = d.entry.faq ? kFaqQuestionBoost : kArticleTitleBoost;
      const double tf = title_boost * p.title_tf / length_norm(d.title_len, avg_title) +
                        kContentBoost * p.content_tf / length_norm(d.content_len, avg_content);
      out[p.doc] += t.idf * tf / (kK1 + tf);
    }
  }
  return out;
}

// confidence = coverage * (floor + (1 - floor) * margin), where coverage is the share of the
// query's idf mass found in the best entry and margin is (best - second) / best.
double knowledge_index::confidence(const std::vector<query_term>& terms, uint32_t best,
                                   double best_score, double second_score) const {
  double matched = 0;
  double mass = 0;
  for (const query_term& t : terms) {
    if (t.postings == nullptr) {
      // Unknown numbers are order numbers, dates, phone numbers: neither for nor against.
      if (!all_digits(t.term)) mass += kUnknownTermWeight * idf(1);
      continue;
    }
    mass += t.idf;
    const auto it = std::lower_bound(t.postings->begin(), t.postings->end(), best,
                                     [](const posting& p, uint32_t doc) { return p.doc < doc; });
    if (it != t.postings->end() && it->doc == best) matched += t.idf;
  }
  if (mass <= 0 || best_score <= 0) return 0;
  const double coverage = matched / mass;
  const double margin = (best_score - second_score) / best_score;
  return std::clamp(coverage * (kMarginFloor + (1.0 - kMarginFloor) * margin), 0.0, 1.0);
}

std::string knowledge_index::reply_text(const document& d,
                                        const std::vector<query_term>& terms) const {
  const std::string& text = d.entry.content;
  const std::size_t limit = settings_.max_passage_chars;
  if (d.entry.faq || d.passages.empty() || utf8_length(trimmed(text)) <= limit) {
    return trimmed(text);
  }
  std::vector<double> relevance;
  for (const passage& p : d.passages) {
    double r = 0;
    for (const query_term& t : terms) {
      if (std::binary_search(p.terms.begin(), p.terms.end(), t.term)) r += t.idf;
    }
    relevance.push_back(r);
  }
  const auto best = static_cast<std::size_t>(std::max_element(relevance.begin(), relevance.end()) -
                                             relevance.begin());

  const auto span = [&](std::size_t lo, std::size_t hi) {
    return std::string_view(text).substr(d.passages[lo].begin,
                                         d.passages[hi].end - d.passages[lo].begin);
  };
  std::size_t lo = best;
  std::size_t hi = best;
  // Grow towards the more relevant neighbour while the reply stays within the limit.
  for (;;) {
    const bool short_so_far = utf8_length(span(lo, hi)) < kShortPassageChars;
    const bool prev_ok = lo > 0 && relevance[lo - 1] > 0 && utf8_length(span(lo - 1, hi)) <= limit;
    const bool next_ok = hi + 1 < d.passages.size() && (relevance[hi + 1] > 0 || short_so_far) &&
                         utf8_length(span(lo, hi + 1)) <= limit;
    if (prev_ok && (!next_ok || relevance[lo - 1] > relevance[hi + 1])) {
      --lo;
    } else if (next_ok) {
      ++hi;
    } else {
      break;
    }
  }
  return truncate(span(lo, hi), limit);
}

answer knowledge_index::fallback(answer a) const {
  a.fallback = true;
  a.entry_id = 0;
  a.text = a.language == "es" ? settings_.fallback_es : settings_.fallback_en;
  return a;
}

answer knowledge_index::respond(std::string_view question) const {
  answer a;
  a.language = detect_language(question);
  const std::vector<query_term> terms = query_terms(question);
  if (docs_.empty() || terms.empty()) return fallback(std::move(a));

  const std::vector<double> s = scores(terms);
  uint32_t best = 0;
  for (uint32_t i = 1; i < s.size(); ++i) {
    if (s[i] > s[best]) best = i;
  }
  if (s[best] <= 0) return fallback(std::move(a));
  double second = 0;
  for (uint32_t i = 0; i < s.size(); ++i) {
    if (i != best) second = std::max(second, s[i]);
  }

  a.confidence = confidence(terms, best, s[best], second);
  if (a.confidence < settings_.threshold) return fallback(std::move(a));
  a.entry_id = docs_[best].entry.id;
  a.text = reply_text(docs_[best], terms);
  return a;
}

std::vector<ranked_entry> knowledge_index::rank(std::string_view question,
                                                std::size_t limit) const {
  const std::vector<double> s = scores(query_terms(question));
  std::vector<uint32_t> order;
  for (uint32_t i = 0; i < s.size(); ++i) {
    if (s[i] > 0) order.push_back(i);
  }
  std::stable_sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) { return s[a] > s[b]; });
  if (order.size() > limit) order.resize(limit);
  std::vector<ranked_entry> out;
  for (uint32_t i : order) out.push_back({docs_[i].entry.id, s[i]});
  return out;
}

}  // namespace parley::logic::responder
