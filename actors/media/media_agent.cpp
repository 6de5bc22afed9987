#include "actors/media/media_agent.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <memory>
#include <pqxx/pqxx>
#include <unordered_map>

#include "actors/media/media_pipeline.hpp"
#include "common/log.hpp"
#include "common/security/secret_box.hpp"
#include "messages/conversation.hpp"
#include "messages/introspection.hpp"
#include "messages/media.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/media_store.hpp"
#include "persistence/pool.hpp"

namespace parley {
using media_result_ptr = std::shared_ptr<const media::media_result>;
}
CAF_ALLOW_UNSAFE_MESSAGE_TYPE(parley::media_result_ptr)

namespace parley::actors {

namespace {

using media_done_atom = caf::atom_constant<caf::atom("mediadone")>;

struct media_state {
  static inline const char* name = "media";
  uint64_t next = 0;
  std::unordered_map<uint64_t, caf::typed_response_promise<std::string>> waiting;
  uint64_t stored = 0;
  uint64_t failed = 0;
};

// The public protocol plus the pipeline's result, which the agent sends itself.
using media_impl = media_actor::extend<caf::reacts_to<media_done_atom, uint64_t, media_result_ptr>>;
using self_ptr = media_impl::stateful_pointer<media_state>;

// On a pool thread: the channel's sending details (opened) and the pipeline's request.
void start(const services& svc, media_impl me, uint64_t seq, media_job job) {
  svc.db->submit(
      [svc, me, seq, job](pqxx::connection& c) {
        media::media_request r;
        r.tenant_id = job.tenant_id;
        r.message_id = job.message_id;
        r.type = job.type;
        r.media = job.media;
        auto ch = persistence::find_channel(c, job.channel_id);
        if (ch) {
          r.api_base_url = ch->api_base_url;
          r.api_version = ch->api_version;
          auto ad = "channel:" + ch->phone_number_id;
          r.access_token =
              svc.secrets ? svc.secrets->open(ch->access_token, ad).value_or("") : ch->access_token;
        }
        svc.media->process(std::move(r), [me, seq](media::media_result res) {
          caf::anon_send(me, media_done_atom::value, seq,
                         media_result_ptr{std::make_shared<media::media_result>(std::move(res))});
        });
      },
      [me, seq](const persistence::db_failure& why) {
        auto res = std::make_shared<media::media_result>();
        res->error = media::media_errc::download_failed;
        res->error_text = "database unavailable: " + why.what();
        res->description = "Media (not processed: temporarily unavailable)";
        caf::anon_send(me, media_done_atom::value, seq, media_result_ptr{std::move(res)});
      });
}

void record(const services& svc, const media_job& job, const media::media_result& r) {
  persistence::media_record m;
  m.tenant_id = job.tenant_id;
  m.message_id = job.message_id;
  m.media_id = job.media.id;
  m.sha256 = r.sha256_hex;
  m.mime_type = r.mime_type.empty() ? job.media.mime_type : r.mime_type;
  m.size_bytes = static_cast<int64_t>(r.size);
  m.path = r.path;
  m.description = r.description;
  m.extracted_text = r.extracted_text;
  m.status = r.error == media::media_errc::none ? "stored" : "failed";
  m.error = r.error == media::media_errc::none ? std::string{}
                                               : media::to_string(r.error) + ": " + r.error_text;
  svc.db->submit([m](pqxx::connection& c) { persistence::record_media(c, m); },
                 [](const persistence::db_failure& why) {
                   common::log::get("actors")->error("cannot record a media result: {}", why.what());
                 });
}

}  // namespace

media_actor spawn_media_agent(caf::actor_system& sys, services svc, std::string tenant_id) {
  return sys.spawn([svc, tenant_id](self_ptr self) -> media_impl::behavior_type {
    auto jobs = std::make_shared<std::unordered_map<uint64_t, media_job>>();
    return {
        [self, svc, jobs](media_atom, const media_job& job) -> caf::result<std::string> {
          if (!svc.media)
            return std::string{"Media (" + job.type + ", not processed on this node)"};
          auto seq = ++self->state.next;
          auto rp = self->make_response_promise<std::string>();
          self->state.waiting.emplace(seq, rp);
          (*jobs)[seq] = job;
          start(svc, caf::actor_cast<media_impl>(self), seq, job);
          return rp;
        },
        [self, svc, jobs](media_done_atom, uint64_t seq, const media_result_ptr& r) {
          auto& st = self->state;
          auto it = st.waiting.find(seq);
          auto job = jobs->find(seq);
          if (job != jobs->end()) {
            record(svc, job->second, *r);
            jobs->erase(job);
          }
          if (r->error == media::media_errc::none)
            ++st.stored;
          else
            ++st.failed;
          if (it == st.waiting.end()) return;
          it->second.deliver(r->description);
          st.waiting.erase(it);
        },
        [self](info_atom) {
          auto& st = self->state;
          child_info me;
          me.name = "media";
          me.kind = "media";
          me.state = "running";
          me.mailbox = self->mailbox().size();
          me.handled = st.stored + st.failed;
          me.detail = "stored=" + std::to_string(st.stored) +
                      " failed=" + std::to_string(st.failed) +
                      " in_progress=" + std::to_string(st.waiting.size());
          return me;
        },
    };
  });
}

}  // namespace parley::actors
