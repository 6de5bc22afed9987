#pragma once
// The rules of one conversation, without CAF, sockets or a database: the conversation actor
// feeds it events (a message arrived, a timer fired, a turn finished, an idle check) and carries
// out the action it returns. Owned by one conversation actor; not thread-safe.
//
// - Messages are handled strictly in acknowledgement order (their inbox ids), each once.
// - A burst is merged into one turn: a turn starts `window` after the burst's last message, but
//   no later than 3 windows after its first, so a customer who keeps typing still gets answers.
// - One turn at a time: messages arriving meanwhile wait for the next turn (merged into it,
//   unless the window is 0: then every message is a turn of its own).
// - The last `context_size` lines (customer and bot) are kept as context.
// - While a human holds the conversation (lockout), turns are still taken, but silently.
// - A message that crashed earlier instances too often (poison) is dead-lettered, not taken.
// - A turn is answered by the support agent, unless the escalation agent says a person takes
//   over and the tenant has a handoff message: then that message is the reply.
// - Quiet for the idle period with nothing to do: the conversation asks to be passivated.
//   Asked to stop (draining), it stops once its queue and turn are done.
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace parley::logic {

struct incoming {
  int64_t id = 0;  ///< inbox id: increases in acknowledgement order
  std::string type;
  std::string text;
  std::string wamid;
  int64_t arrived_ms = 0;
};

struct context_line {
  bool from_customer = true;
  std::string text;
};

struct turn {
  std::vector<incoming> messages;
  std::string text;     ///< the messages' texts, one per line
  bool silent = false;  ///< a human holds the conversation: do not answer
  [[nodiscard]] int64_t last_id() const { return messages.empty() ? 0 : messages.back().id; }
  [[nodiscard]] std::string last_wamid() const {
    return messages.empty() ? "" : messages.back().wamid;
  }
};

struct conversation_action {
  enum kind { none, arm_timer, start_turn } what = none;
  int64_t timer_at_ms = 0;
  uint64_t timer_token = 0;
  turn next;                 ///< with start_turn
  bool ignored = false;      ///< the message was a duplicate or answered already
  bool dead_letter = false;  ///< the message is poison: dead-letter it instead
};

/// The reply to a turn: the support agent's answer or the tenant's handoff message.
struct reply_choice {
  bool handoff = false;  ///< a person takes over: store the escalation with this reply
  const std::string* text = nullptr;
};
reply_choice answer_or_handoff(bool escalate, const std::string& handoff_message,
                               const std::string& answer);

/// An idle check's outcome: ask to be passivated, or check again this much later.
struct idle_verdict {
  bool passivate = false;
  int64_t check_again_in_ms = 0;
};

struct conversation_settings {
  std::chrono::milliseconds buffer_window{2000};
  std::size_t context_size = 20;
};

class conversation_logic {
 public:
  /// `poison`: inbound ids that crashed earlier instances too often.
  explicit conversation_logic(conversation_settings s = {}, std::vector<int64_t> poison = {},
                              int64_t now_ms = 0);

  /// The persisted state arrived (lockout and context). Until then messages only queue.
  conversation_action on_loaded(int64_t override_until_ms, std::vector<context_line> context,
                                int64_t now_ms);
  conversation_action on_message(incoming m, int64_t now_ms);
  conversation_action on_timer(uint64_t token, int64_t now_ms);
  /// The current turn is answered and stored; `replies` are the bot's bubbles (may be empty).
  conversation_action on_turn_done(const std::vector<std::string>& replies, int64_t now_ms);
  /// The current turn could not be completed: its messages go back to the front of the queue.
  conversation_action on_turn_failed(int64_t now_ms);
  /// Customer or turn activity only: introspection must not keep a conversation alive.
  [[nodiscard]] idle_verdict on_idle_check(int64_t now_ms, int64_t idle_ms) const;
  /// The tenant asked it to stop once it has nothing left to do.
  void drain() { draining_ = true; }
  [[nodiscard]] bool draining() const { return draining_; }
  /// Draining and nothing left: the actor may stop.
  [[nodiscard]] bool finished() const { return draining_ && !busy_ && pending_.empty(); }

  void set_override_until(int64_t until_ms) { override_until_ms_ = until_ms; }
  [[nodiscard]] bool locked(int64_t now_ms) const { return override_until_ms_ > now_ms; }
  [[nodiscard]] bool loaded() const { return loaded_; }
  [[nodiscard]] bool busy() const { return busy_; }
  [[nodiscard]] std::size_t queued() const { return pending_.size(); }
  /// Messages held: queued plus those of the turn in progress.
  [[nodiscard]] std::size_t held() const {
    return pending_.size() + (busy_ ? current_.messages.size() : 0);
  }
  [[nodiscard]] const std::vector<context_line>& context() const { return context_; }

 private:
  conversation_action schedule(int64_t now_ms);
  conversation_action begin_turn(int64_t now_ms);
  void remember(context_line line);
  [[nodiscard]] bool taken(int64_t id) const;

  conversation_settings settings_;
  bool loaded_ = false;
  bool busy_ = false;
  bool draining_ = false;
  int64_t last_activity_ms_ = 0;
  std::vector<int64_t> poison_;  // sorted
  int64_t override_until_ms_ = 0;
  // Ids this instance took into turns, latest last (bounded): a message routed twice, or
  // replayed while its turn runs, is ignored. A late message (an id below ones answered, come
  // by a slower route between nodes) is still answered; store_reply refuses a second answer
  // for a message answered elsewhere.
  // Vectors, not deques: an empty std::deque allocates ~600 bytes, and a node holds one
  // conversation_logic per active conversation (100,000 of them).
  std::vector<int64_t> taken_;
  std::vector<incoming> pending_;
  turn current_;
  std::vector<context_line> context_;
  uint64_t token_ = 0;
  int64_t deadline_ms_ = 0;
};

}  // namespace parley::logic
