#pragma once
// Per-tenant knowledge-base retrieval: the responder's answer engine when no language model is
// configured (owned by the responder component; used by the responder actor, one index per
// tenant). Ranks entries with BM25F (k1 = 1.2, b = 0.75; FAQ questions and article titles
// boosted over bodies), then replies with the FAQ answer or the best passage of the article, or
// with a hand-off message when the match is not convincing.
//
// Built single-threaded with add(), then read-only: respond() is const and safe to call from
// any number of threads at once.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace parley::logic::responder {

struct kb_entry {
  int64_t id = 0;
  std::string title;    // article title, or the FAQ question
  std::string content;  // article body, or the FAQ answer
  bool faq = false;
};

struct answer {
  std::string text;       // FAQ answer, best article passage, or the hand-off message
  double confidence = 0;  // in [0,1]; deterministic for a given index and question
  int64_t entry_id = 0;   // 0 when fallback
  bool fallback = false;  // confidence < threshold: text is the hand-off message
  std::string language;   // "es" or "en", detected from the question
};

struct responder_settings {
  double threshold = 0.35;
  std::string fallback_es =
      "Gracias por tu mensaje. Una persona de nuestro equipo te responderá en breve.";
  std::string fallback_en =
      "Thanks for your message. A person from our team will get back to you shortly.";
  std::size_t max_passage_chars = 600;  // article replies are cut to about this many characters
};

/// One row of knowledge_index::rank().
struct ranked_entry {
  int64_t entry_id = 0;
  double score = 0;  // raw BM25F, only comparable within one query
};

class knowledge_index {
 public:
  explicit knowledge_index(responder_settings s = {});

  void add(kb_entry e);
  [[nodiscard]] std::size_t size() const { return docs_.size(); }
  [[nodiscard]] const responder_settings& settings() const { return settings_; }

  [[nodiscard]] answer respond(std::string_view question) const;

  /// The best `limit` entries by raw score, best first (ties: earlier add first). For
  /// diagnostics and tuning; respond() is what customers see.
  [[nodiscard]] std::vector<ranked_entry> rank(std::string_view question,
                                               std::size_t limit = 5) const;

 private:
  struct posting {
    uint32_t doc = 0;
    uint32_t title_tf = 0;
    uint32_t content_tf = 0;
  };
  // A paragraph, or a sentence of a paragraph too long to send whole; offsets into content so
  // a run of passages can be cut out with its original line breaks.
  struct passage {
    std::size_t begin = 0;
    std::size_t end = 0;
    std::vector<std::string> terms;  // sorted, unique
  };
  struct document {
    kb_entry entry;
    uint32_t title_len = 0;
    uint32_t content_len = 0;
    std::vector<passage> passages;  // articles only
  };
  struct query_term {
    std::string term;
    const std::vector<posting>* postings = nullptr;  // null: no entry contains it
    double idf = 0;
  };

  [[nodiscard]] std::vector<query_term> query_terms(std::string_view question) const;
  [[nodiscard]] std::vector<double> scores(const std::vector<query_term>& terms) const;
  [[nodiscard]] double idf(std::size_t df) const;
  [[nodiscard]] double confidence(const std::vector<query_term>& terms, uint32_t best,
                                  double best_score, double second_score) const;
  [[nodiscard]] std::string reply_text(const document& d,
                                       const std::vector<query_term>& terms) const;
  [[nodiscard]] answer fallback(answer a) const;

  responder_settings settings_;
  std::vector<document> docs_;
  std::unordered_map<std::string, std::vector<posting>> postings_;  // doc-ordered per term
  uint64_t total_title_len_ = 0;
  uint64_t total_content_len_ = 0;
};

}  // namespace parley::logic::responder
