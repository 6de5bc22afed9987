#pragma once
// What the benchmark's tenants know and what their customers write: a small Spanish/English
// knowledge base of a shop, customer messages answerable from it, names, and
// generated articles for larger indexes. Constant data and pure functions; any thread.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace parley::bench {

struct kb_item {
  bool faq = true;
  std::string title;    ///< question (FAQ) or article title
  std::string content;  ///< answer (FAQ) or article body
};

/// The base knowledge base every tenant gets (FAQ pairs and a few articles, es and en).
const std::vector<kb_item>& shop_knowledge();

/// Customer messages, Spanish and English, each answered by the base knowledge base with a
/// confidence of 0.6 or more and none asking for a person or complaining: however long a
/// benchmark's conversations get, the escalation rules (low confidence + long conversation,
/// keywords, sentiment) never hand one to a human, which would silence the bot and look like
/// lost replies.
const std::vector<std::string>& customer_messages();

/// Customer display names.
const std::vector<std::string>& customer_names();

/// `n` articles about a made-up catalogue (deterministic for a seed), for big indexes.
std::vector<kb_item> generated_articles(std::size_t n, uint64_t seed = 1);

}  // namespace parley::bench
