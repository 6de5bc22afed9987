#include "actors/support.hpp"

#include <spdlog/spdlog.h>

#include <caf/all.hpp>
#include <pqxx/pqxx>
#include <stdexcept>

#include "common/log.hpp"
#include "logic/responder/knowledge_index.hpp"
#include "logic/responder/turn_answer.hpp"
#include "messages/conversation.hpp"
#include "messages/introspection.hpp"
#include "messages/local.hpp"
#include "messages/support.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/pool.hpp"

namespace parley::actors {

namespace {

struct support_state {
  static inline const char* name = "support";
  index_ptr index;
  bool loading = false;
  bool reload_again = false;
  // Asks that came while the knowledge (re)loaded.
  std::vector<std::pair<caf::typed_response_promise<support_answer>, std::string>> waiting;
  uint64_t handled = 0;
};

// Private: the knowledge could not be loaded (the agent tries again).
using load_failed_atom = caf::atom_constant<caf::atom("loadfail")>;

// The public protocol plus what the agent tells itself (a loaded index, a failed load).
using support_impl =
    support_actor::extend<caf::reacts_to<loaded_atom, index_ptr>, caf::reacts_to<load_failed_atom>>;
using self_ptr = support_impl::stateful_pointer<support_state>;

support_answer to_message(const logic::responder::answer& a) {
  return support_answer{a.text, a.confidence, a.fallback, a.language, a.entry_id};
}

void load(self_ptr self, const services& svc, const std::string& tenant_id) {
  if (self->state.loading) {
    self->state.reload_again = true;
    return;
  }
  self->state.loading = true;
  auto me = caf::actor_cast<support_impl>(self);
  svc.db->submit(
      [me, tenant_id](pqxx::connection& c) {
        auto index = std::make_shared<logic::responder::knowledge_index>();
        for (auto& k : persistence::tenant_knowledge(c, tenant_id))
          index->add(logic::responder::kb_entry{k.id, k.title, k.content, k.kind == "faq"});
        caf::anon_send(me, loaded_atom::value, index_ptr{std::move(index)});
      },
      [me, tenant_id](const persistence::db_failure& why) {
        common::log::get("actors")->warn("tenant {}: cannot load knowledge: {}", tenant_id,
                                         why.what());
        caf::anon_send(me, load_failed_atom::value);
      });
}

}  // namespace

support_actor spawn_support(caf::actor_system& sys, services svc, std::string tenant_id) {
  return sys.spawn([svc, tenant_id](self_ptr self) -> support_impl::behavior_type {
    load(self, svc, tenant_id);
    return {
        [self, svc](ask_atom, const std::string& question) -> caf::result<support_answer> {
          auto& st = self->state;
          ++st.handled;
          // Test-only fault switch (parley.fault-injection): a question that crashes the agent.
          if (svc.fault_injection && question.find("#support-down") != std::string::npos)
            throw std::runtime_error("fault injection: the support agent crashed");
          // While (re)loading, wait: a question asked after a knowledge write returned must see it.
          if (!st.index || st.loading) {
            auto rp = self->make_response_promise<support_answer>();
            st.waiting.emplace_back(rp, question);
            return rp;
          }
          return to_message(logic::responder::answer_turn(*st.index, question));
        },
        [self, svc, tenant_id](kb_changed_atom) { load(self, svc, tenant_id); },
        [self](info_atom) {
          auto& st = self->state;
          child_info me;
          me.name = "support";
          me.kind = "support";
          me.state = st.index ? "running" : "loading";
          me.mailbox = self->mailbox().size();
          me.handled = st.handled;
          me.detail = "knowledge_entries=" + std::to_string(st.index ? st.index->size() : 0);
          return me;
        },
        [self, svc, tenant_id](loaded_atom, index_ptr index) {
          auto& st = self->state;
          st.index = std::move(index);
          st.loading = false;
          if (st.reload_again) {  // changed again meanwhile: the waiting asks wait for that too
            st.reload_again = false;
            load(self, svc, tenant_id);
            return;
          }
          for (auto& [rp, q] : st.waiting)
            rp.deliver(to_message(logic::responder::answer_turn(*st.index, q)));
          st.waiting.clear();
        },
        [self, svc, tenant_id](load_failed_atom) {
          self->state.loading = false;
          // The database is unreachable: try again shortly; asks keep waiting meanwhile.
          self->delayed_send(self, std::chrono::seconds{1}, kb_changed_atom::value);
        },
    };
  });
}

}  // namespace parley::actors
