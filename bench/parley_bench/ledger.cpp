// The per-run message ledger and its final accounting (threads: see ledger.hpp).
#include "bench/parley_bench/ledger.hpp"

#include <algorithm>
#include <stdexcept>
#include <unordered_map>
#include <vector>

namespace parley::bench {

namespace {

constexpr std::string_view wamid_prefix = "wamid.HBgN";
constexpr std::string_view wamid_middle = "FQIAERgU";
constexpr std::string_view wamid_suffix = "AA==";
constexpr char hex_digits[] = "0123456789ABCDEF";

void append_hex(std::string& out, uint64_t v, int digits) {
  for (int i = digits - 1; i >= 0; --i) out += hex_digits[(v >> (4 * i)) & 0xF];
}

bool parse_hex(std::string_view s, uint64_t& out) {
  out = 0;
  for (char c : s) {
    out <<= 4;
    if (c >= '0' && c <= '9')
      out |= static_cast<uint64_t>(c - '0');
    else if (c >= 'A' && c <= 'F')
      out |= static_cast<uint64_t>(c - 'A' + 10);
    else
      return false;
  }
  return true;
}

}  // namespace

std::string customer_wa_id(uint64_t global) {
  return std::to_string(5491100000000ULL + global);  // an Argentine mobile number, 13 digits
}

message_ledger::message_ledger(uint32_t tag)
    : tag_(tag),
      epoch_(clock::now() - std::chrono::seconds{1}),
      chunks_(std::make_unique<std::array<std::atomic<entry*>, max_chunks>>()) {
  for (auto& c : *chunks_) c.store(nullptr, std::memory_order_relaxed);
}

message_ledger::~message_ledger() {
  for (auto& c : *chunks_) delete[] c.load();
}

int64_t message_ledger::now_ns() const {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(clock::now() - epoch_).count();
}

message_ledger::clock::time_point message_ledger::at(int64_t ns) const {
  return epoch_ + std::chrono::nanoseconds{ns};
}

uint64_t message_ledger::allocate(uint32_t n) {
  auto first = next_.fetch_add(n, std::memory_order_relaxed);
  auto last = first + n - 1;
  if ((last >> chunk_bits) >= max_chunks) throw std::runtime_error("too many messages in one run");
  for (auto c = first >> chunk_bits; c <= (last >> chunk_bits); ++c) {
    if ((*chunks_)[c].load(std::memory_order_acquire)) continue;
    std::lock_guard<std::mutex> guard{grow_};
    if (!(*chunks_)[c].load(std::memory_order_relaxed))
      (*chunks_)[c].store(new entry[chunk_size], std::memory_order_release);
  }
  return first;
}

message_ledger::entry* message_ledger::find(uint64_t seq) const {
  if (seq >= next_.load(std::memory_order_relaxed)) return nullptr;
  auto* chunk = (*chunks_)[seq >> chunk_bits].load(std::memory_order_acquire);
  return chunk ? &chunk[seq & (chunk_size - 1)] : nullptr;
}

message_ledger::entry& message_ledger::at_seq(uint64_t seq) const {
  return (*chunks_)[seq >> chunk_bits].load(std::memory_order_acquire)[seq & (chunk_size - 1)];
}

std::string message_ledger::wamid(uint64_t seq, uint64_t customer) const {
  std::string out;
  out.reserve(64);
  out += wamid_prefix;
  out += customer_wa_id(customer);
  out += wamid_middle;
  append_hex(out, tag_, 8);
  append_hex(out, seq, 16);
  out += wamid_suffix;
  return out;
}

void message_ledger::sent(uint64_t seq, uint64_t customer, int64_t intended_ns) {
  auto& e = at_seq(seq);
  e.customer.store(customer, std::memory_order_relaxed);
  e.intended_ns.store(intended_ns, std::memory_order_release);
}

void message_ledger::settle(entry& e, uint32_t bit) {
  auto before = e.flags.fetch_or(bit, std::memory_order_acq_rel);
  if ((before | bit) == (acked_bit | replied_bit) && before != (acked_bit | replied_bit))
    answered_.fetch_add(1, std::memory_order_relaxed);
}

void message_ledger::acked(uint64_t seq, int64_t ack_ns) {
  auto& e = at_seq(seq);
  e.ack_ns.store(ack_ns, std::memory_order_relaxed);
  expected_.fetch_add(1, std::memory_order_relaxed);
  settle(e, acked_bit);
}

message_ledger::match message_ledger::on_reply(std::string_view id, std::string_view to,
                                               int64_t now_ns) {
  replies_.fetch_add(1, std::memory_order_relaxed);
  auto fail = [this] {
    unknown_.fetch_add(1, std::memory_order_relaxed);
    return match::unknown;
  };
  constexpr std::size_t tail = 8 + 16 + wamid_suffix.size();
  if (id.size() < wamid_prefix.size() + tail || id.substr(0, wamid_prefix.size()) != wamid_prefix ||
      id.substr(id.size() - wamid_suffix.size()) != wamid_suffix)
    return fail();
  uint64_t tag = 0, seq = 0;
  if (!parse_hex(id.substr(id.size() - tail, 8), tag) || tag != tag_ ||
      !parse_hex(id.substr(id.size() - tail + 8, 16), seq))
    return fail();
  auto* e = find(seq);
  if (!e) return fail();
  if (e->replies.fetch_add(1, std::memory_order_acq_rel) == 0) {
    e->reply_ns.store(now_ns, std::memory_order_relaxed);
    settle(*e, replied_bit);
  }
  if (to != customer_wa_id(e->customer.load(std::memory_order_relaxed))) {
    misrouted_.fetch_add(1, std::memory_order_relaxed);
    return match::misrouted;
  }
  return match::ok;
}

accounting message_ledger::account(int64_t window_begin_ns, int64_t window_end_ns, bool allow_merge,
                                   const std::unordered_set<uint64_t>& handed_off) const {
  accounting out;
  struct row {
    int64_t intended, ack, reply;  // reply 0: none
  };
  std::unordered_map<uint64_t, std::vector<row>> by_customer;
  auto n = next_.load();
  for (uint64_t seq = 0; seq < n; ++seq) {
    const auto& e = at_seq(seq);
    auto flags = e.flags.load();
    auto replies = e.replies.load();
    auto intended = e.intended_ns.load();
    if (!(flags & acked_bit)) {
      if (replies) ++out.unacked_replies;
      continue;
    }
    ++out.expected;
    auto reply = replies ? e.reply_ns.load() : 0;
    if (replies) {
      ++out.answered;
      if (intended >= window_begin_ns && intended < window_end_ns) out.e2e.record(reply - intended);
    }
    if (replies > 1) {
      ++out.duplicated;
      out.extra_replies += replies - 1;
    }
    by_customer[e.customer.load()].push_back(row{intended, e.ack_ns.load(), reply});
  }
  for (auto& [customer, rows] : by_customer) {
    // Order: a reply must not overtake the reply of a message acknowledged before this one was
    // sent (parley answers a conversation in acknowledgement order).
    std::vector<const row*> by_ack, by_sent;
    for (const auto& r : rows)
      if (r.reply) {
        by_ack.push_back(&r);
        by_sent.push_back(&r);
      }
    std::sort(by_ack.begin(), by_ack.end(), [](auto* a, auto* b) { return a->ack < b->ack; });
    std::sort(by_sent.begin(), by_sent.end(),
              [](auto* a, auto* b) { return a->intended < b->intended; });
    std::size_t i = 0;
    int64_t latest_earlier_reply = 0;
    for (const auto* r : by_sent) {
      while (i < by_ack.size() && by_ack[i]->ack < r->intended)
        latest_earlier_reply = std::max(latest_earlier_reply, by_ack[i++]->reply);
      if (latest_earlier_reply > r->reply) ++out.out_of_order;
    }
    // Lost or, with a buffer window, merged into a turn answered through a later message, or
    // silenced by a human takeover.
    bool taken_over = handed_off.count(customer) > 0;
    if (taken_over) ++out.handed_off_conversations;
    for (const auto& r : rows) {
      if (r.reply) continue;
      bool merged = allow_merge && std::any_of(rows.begin(), rows.end(), [&r](const row& other) {
                      return other.reply != 0 && other.reply >= r.intended && &other != &r;
                    });
      ++(merged ? out.merged : taken_over ? out.handed_off : out.lost);
    }
  }
  return out;
}

}  // namespace parley::bench
