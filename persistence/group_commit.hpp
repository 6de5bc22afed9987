#pragma once
// Group commit: one thread with its own connection writes every request waiting in its queue
// (up to a batch weight) in ONE transaction and commits; only then are the requests'
// callbacks run, so a caller's "done" always follows a commit. Requests arriving while a commit
// is in flight form the next batch: under load batches grow by themselves, at low load a
// request waits for nothing but its own commit.
//
// Should a batch fail (anything but a lost connection), it is redone one request per
// transaction, so a bad request fails alone and the others still commit.
//
// Requests are taken round robin by key (the tenant): a tenant with thousands of requests
// waiting does not push another tenant's request out of the next batch.
//
// The writers of the message path (inbox_writer, reply_writer, send_log) own one each; any
// thread submits. A writer's connection sees every tenant (row-level security's platform
// scope, set for its session). Include only in .cpp files: it brings <pqxx/pqxx>.
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <pqxx/pqxx>
#include <string>
#include <thread>
#include <vector>

#include "logic/fair_queue.hpp"

namespace parley::persistence {

struct group_commit_stats {
  uint64_t commits = 0;   ///< batches committed (the fallback's single commits included)
  uint64_t requests = 0;  ///< requests answered with a result from the database
  uint64_t largest = 0;   ///< the largest batch so far, in requests
};

template <class Request, class Result>
class group_commit {
 public:
  using done_fn = std::function<void(Result)>;
  /// Writes requests [first, first + n) in one transaction of its own, commits it and returns
  /// one result per request, in order. Throws on failure (nothing committed).
  using write_fn =
      std::function<std::vector<Result>(pqxx::connection&, const Request*, std::size_t)>;
  /// The result given to a request that could not be written (queue full, stopping, error).
  using failure_fn = std::function<Result(const std::string& why)>;
  using weight_fn = std::function<std::size_t(const Request&)>;
  using key_fn = std::function<std::string(const Request&)>;

  struct settings {
    std::string conninfo;
    std::size_t max_batch_weight = 512;
    std::size_t max_queue = 20000;
    std::function<void(pqxx::connection&)> prepare;  ///< once per new connection
    write_fn write;
    failure_fn failure;
    weight_fn weight = [](const Request&) { return std::size_t{1}; };
    key_fn key = [](const Request&) { return std::string{}; };  ///< whose request it is
  };

  explicit group_commit(settings s) : s_(std::move(s)) {
    thread_ = std::thread([this] { run(); });
  }
  ~group_commit() { stop(); }
  group_commit(const group_commit&) = delete;
  group_commit& operator=(const group_commit&) = delete;

  /// Queues the request; `done` runs once on the writer's thread after the commit (or on the
  /// caller's thread at once when refused). It must not block.
  void submit(Request req, done_fn done) {
    {
      std::unique_lock<std::mutex> guard{mtx_};
      if (!stopping_ && queue_.size() < s_.max_queue) {
        auto key = s_.key(req);
        queue_.push(key, entry{std::move(req), std::move(done)});
        guard.unlock();
        cv_.notify_one();
        return;
      }
    }
    done(s_.failure(stopping_ ? "stopping" : "overloaded"));
  }

  /// Writes what is queued, then joins the thread. Idempotent.
  void stop() {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) thread_.join();
  }

  [[nodiscard]] group_commit_stats stats() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return stats_;
  }
  [[nodiscard]] std::size_t queued() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return queue_.size();
  }

 private:
  void run() {
    std::unique_ptr<pqxx::connection> conn;
    for (;;) {
      std::vector<Request> batch;
      std::vector<done_fn> dones;
      {
        std::unique_lock<std::mutex> guard{mtx_};
        cv_.wait(guard, [this] { return stopping_ || !queue_.empty(); });
        if (queue_.empty()) return;  // stopping, and everything queued was written
        std::size_t weight = 0;
        while (!queue_.empty() && (batch.empty() || weight < s_.max_batch_weight)) {
          auto e = queue_.pop();
          weight += s_.weight(e.request);
          batch.push_back(std::move(e.request));
          dones.push_back(std::move(e.done));
        }
      }
      auto results = write(conn, batch);
      uint64_t commits = results.second;
      for (std::size_t i = 0; i < batch.size(); ++i) dones[i](std::move(results.first[i]));
      std::lock_guard<std::mutex> guard{mtx_};
      stats_.commits += commits;
      if (commits > 0) stats_.requests += batch.size();
      stats_.largest = std::max<uint64_t>(stats_.largest, batch.size());
    }
  }

  // Results for the batch, and how many commits they took.
  std::pair<std::vector<Result>, uint64_t> write(std::unique_ptr<pqxx::connection>& conn,
                                                 const std::vector<Request>& batch) {
    try {
      if (!conn || !conn->is_open()) {
        conn.reset();
        conn = std::make_unique<pqxx::connection>(s_.conninfo);
        // Every statement of a writer finds its rows by key. A prepared statement's plan made
        // while a table was small would scan it sequentially for the rest of the connection's
        // life, more slowly with every row; with scans off, that plan is never chosen.
        pqxx::nontransaction setup{*conn};
        setup.exec("SET enable_seqscan = off");
        // Writers batch every tenant's work: the platform scope of row-level security for the
        // whole session (each row written names its tenant), not one statement per transaction.
        setup.exec("SET parley.tenant_id = '*'");
        if (s_.prepare) s_.prepare(*conn);
      }
      try {
        return {s_.write(*conn, batch.data(), batch.size()), 1};
      } catch (const pqxx::broken_connection&) {
        throw;
      } catch (const std::exception&) {
        if (!conn->is_open() || batch.size() == 1) throw;
      }
      std::vector<Result> out;
      uint64_t commits = 0;
      for (std::size_t i = 0; i < batch.size(); ++i) {
        try {
          auto one = s_.write(*conn, &batch[i], 1);
          out.push_back(std::move(one.at(0)));
          ++commits;
        } catch (const pqxx::broken_connection&) {
          throw;
        } catch (const std::exception& e) {
          out.push_back(s_.failure(e.what()));
        }
      }
      return {std::move(out), commits};
    } catch (const std::exception& e) {
      if (conn && !conn->is_open()) conn.reset();
      std::vector<Result> out;
      for (std::size_t i = 0; i < batch.size(); ++i) out.push_back(s_.failure(e.what()));
      return {std::move(out), 0};
    }
  }

  struct entry {
    Request request;
    done_fn done;
  };
  settings s_;
  mutable std::mutex mtx_;
  std::condition_variable cv_;
  logic::fair_queue<std::string, entry> queue_;
  bool stopping_ = false;
  group_commit_stats stats_;
  std::thread thread_;  // last: starts after everything it uses exists
};

}  // namespace parley::persistence
