#include "io/channel_directory.hpp"

#include <future>
#include <pqxx/pqxx>

#include "persistence/admin_store.hpp"
#include "persistence/pool.hpp"

namespace parley::io {

void channel_directory::put(const persistence::channel_row& ch) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  by_id_[ch.id] = ch;
}

std::optional<persistence::channel_row> channel_directory::cached(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

void channel_directory::find(const std::string& id,
                             std::function<void(std::optional<persistence::channel_row>)> done,
                             std::function<void(const std::string&)> failed) {
  if (auto ch = cached(id)) return done(std::move(ch));
  if (!persistence::is_uuid(id)) return done(std::nullopt);
  db_->submit(
      [this, id, done](pqxx::connection& c) {
        auto ch = persistence::find_channel(c, id);
        if (ch) put(*ch);
        done(std::move(ch));
      },
      std::move(failed));
}

void channel_directory::load_all() {
  std::promise<void> finished;
  db_->submit(
      [this, &finished](pqxx::connection& c) {
        for (auto& ch : persistence::all_channels(c)) put(ch);
        finished.set_value();
      },
      [&finished](const std::string&) { finished.set_value(); });
  finished.get_future().wait();
}

}  // namespace parley::io
