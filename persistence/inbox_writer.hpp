#pragma once
// Durable intake of webhooks with group commit.
//
// Owned by the node; any thread submits. One dedicated thread with its own connection takes
// every request waiting in the queue (up to a batch limit), writes them in ONE transaction (if
// one request fails, the batch is redone a request per transaction, so it fails alone) and
// commits; only then
// are the callbacks run, so an acknowledgement always follows a commit. Requests arriving while
// a commit is in flight form the next batch: under load batches grow by themselves, at low load
// a request waits for nothing but its own commit.
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "logic/inbound_message.hpp"

namespace parley::persistence {

struct inbound_item {
  std::string wamid;
  std::string from;
  std::string contact_name;
  std::string type;
  std::string text;
  std::string raw;
  int64_t provider_ts = 0;  ///< unix seconds
  logic::media_reference media;
};

struct status_item {
  std::string wamid;
  std::string status;
  std::string errors;  ///< errors as text (JSON), may be empty
  int64_t provider_ts = 0;
  /// The bubble the status names through its callback data (0: none): a bubble whose "sent"
  /// mark was lost gets its wamid from it.
  int64_t bubble_id = 0;
};

struct ingest_request {
  std::string tenant_id;
  std::string channel_id;
  std::string raw_body;
  std::vector<inbound_item> messages;
  std::vector<status_item> statuses;
};

/// A newly stored (non-duplicate) inbound message, ready to be routed to its conversation
/// (`new_conversation`: created by this message's batch, with no history, no lockout and no
/// earlier unanswered message, so its actor need not read any).
using stored_message = logic::inbound_message;

struct ingest_result {
  bool ok = false;
  std::string error;
  std::vector<stored_message> stored;
  std::size_t duplicates = 0;
};

struct inbox_settings {
  std::string conninfo;
  std::size_t max_batch_messages = 512;  ///< rows per transaction, roughly
  std::size_t max_queue = 20000;         ///< requests waiting beyond this are refused (503)
};

struct inbox_stats {
  uint64_t commits = 0;
  uint64_t requests = 0;
  uint64_t messages = 0;
};

class inbox_writer {
 public:
  using done_fn = std::function<void(ingest_result)>;

  explicit inbox_writer(inbox_settings s);
  ~inbox_writer();
  inbox_writer(const inbox_writer&) = delete;
  inbox_writer& operator=(const inbox_writer&) = delete;

  /// Queues the request; `done` runs once on the writer thread after the commit (or failure).
  void submit(ingest_request req, done_fn done);
  void stop();
  [[nodiscard]] inbox_stats stats() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace parley::persistence
