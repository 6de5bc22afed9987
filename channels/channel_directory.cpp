#include "channels/channel_directory.hpp"

#include <spdlog/spdlog.h>

#include <future>
#include <pqxx/pqxx>

#include "common/log.hpp"
#include "common/security/secret_box.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/pool.hpp"

namespace parley::channels {

bool channel_directory::unseal(persistence::channel_row& ch) const {
  auto ad = "channel:" + ch.phone_number_id;
  auto secret = secrets_->open(ch.app_secret, ad);
  auto verify = secrets_->open(ch.verify_token, ad);
  auto token = secrets_->open(ch.access_token, ad);
  if (!secret || !verify || !token) {
    common::log::get("io")->error("channel {}: its secrets cannot be opened with the master key(s)",
                                  ch.id);
    return false;
  }
  ch.app_secret = std::move(*secret);
  ch.verify_token = std::move(*verify);
  ch.access_token = std::move(*token);
  return true;
}

void channel_directory::put(const persistence::channel_row& ch) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  by_id_[ch.id] = ch;
}

void channel_directory::forget_tenant(const std::string& tenant_id) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  for (auto it = by_id_.begin(); it != by_id_.end();)
    it = it->second.tenant_id == tenant_id ? by_id_.erase(it) : std::next(it);
}

std::optional<persistence::channel_row> channel_directory::cached(const std::string& id) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto it = by_id_.find(id);
  if (it == by_id_.end()) return std::nullopt;
  return it->second;
}

void channel_directory::find(const std::string& id,
                             std::function<void(std::optional<persistence::channel_row>)> done,
                             std::function<void(const persistence::db_failure&)> failed) {
  if (auto ch = cached(id)) return done(std::move(ch));
  if (!persistence::is_uuid(id)) return done(std::nullopt);
  db_->submit(
      [this, id, done](pqxx::connection& c) {
        auto ch = persistence::find_channel(c, id);
        if (ch && !unseal(*ch)) ch.reset();
        if (ch) put(*ch);
        done(std::move(ch));
      },
      std::move(failed));
}

void channel_directory::load_all() {
  std::promise<void> finished;
  db_->submit(
      [this, &finished](pqxx::connection& c) {
        for (auto& ch : persistence::all_channels(c))
          if (unseal(ch)) put(ch);
        finished.set_value();
      },
      [&finished](const persistence::db_failure&) { finished.set_value(); });
  finished.get_future().wait();
}

}  // namespace parley::channels
