// /v1/conversations/{id}: a person replies, takes the conversation over, gives it back.
#include <pqxx/pqxx>

#include "edge/admin_routes.hpp"
#include "common/json_writer.hpp"
#include "edge/route_helpers.hpp"
#include "common/security/permissions.hpp"
#include "channels/whatsapp.hpp"
#include "persistence/admin_store.hpp"
#include "persistence/conversation_store.hpp"

namespace parley::edge {

namespace perm = common::security::perm;

void add_conversation_routes(router& r, api_ptr api) {
  r.add(
      "POST", "/v1/conversations/{conversation_id}/messages",
      guarded(api, std::string{perm::conversations_reply},
              [api](http_request&& req, const path_params& p, const principal& who,
                    respond_fn respond) {
                auto f = body_or_400(req, respond);
                if (!f) return;
                auto text = required(*f, "text", 64 * 1024, respond);
                if (!text) return;
                auto conv = p.get("conversation_id");
                if (!persistence::is_uuid(conv))
                  return respond(json_error(404, "not_found", "no conversation " + conv));
                auto bubbles = channels::whatsapp::split_bubbles(*text);
                auto remote = req.remote;
                on_db(*api, respond, [api, conv, bubbles, who, remote](pqxx::connection& c) {
                  auto items = persistence::human_reply(c, who.scope(), conv, bubbles, who.actor);
                  if (items.empty()) return json_error(404, "not_found", "no conversation " + conv);
                  auto tenant = items.front().tenant_id;
                  common::json_writer w;
                  w.begin_object().field("conversation_id", conv).key("message_ids").begin_array();
                  for (auto& i : items) w.value(i.id);
                  w.end_array().field("status", "pending").end_object();
                  if (api->send_outbound) api->send_outbound(std::move(items));
                  audit(*api, tenant, who.actor, "conversation.reply", conv, "ok", remote);
                  return json_ok(202, w.take());
                });
              }));
  r.add("POST", "/v1/conversations/{conversation_id}/handoff",
        guarded(api, std::string{perm::conversations_handoff},
                [api](http_request&& req, const path_params& p, const principal& who,
                      respond_fn respond) {
                  int hours = 0;  // the tenant's setting
                  if (!req.body.empty()) {
                    auto f = body_or_400(req, respond);
                    if (!f) return;
                    auto h = f->others.find("hours");
                    if (h != f->others.end()) {
                      if (!all_digits(h->second) || h->second.size() > 3 ||
                          std::stoi(h->second) < 1 || std::stoi(h->second) > 720)
                        return respond(json_error(400, "invalid_field", "hours must be 1..720"));
                      hours = std::stoi(h->second);
                    }
                  }
                  auto conv = p.get("conversation_id");
                  auto remote = req.remote;
                  on_db(*api, respond, [api, conv, hours, who, remote](pqxx::connection& c) {
                    auto tenant = persistence::handoff(c, who.scope(), conv, hours, who.actor);
                    if (tenant.empty())
                      return json_error(404, "not_found", "no conversation " + conv);
                    if (api->cancel_outbound) api->cancel_outbound(conv);
                    audit(*api, tenant, who.actor, "conversation.handoff", conv, "ok", remote);
                    auto row = persistence::find_conversation(c, tenant, conv);
                    common::json_writer w;
                    w.begin_object().field("conversation_id", conv);
                    w.field("human_override_until",
                            row ? row->human_override_until : std::string{});
                    w.end_object();
                    return json_ok(200, w.take());
                  });
                }));
  r.add("POST", "/v1/conversations/{conversation_id}/release",
        guarded(api, std::string{perm::conversations_handoff},
                [api](http_request&& req, const path_params& p, const principal& who,
                      respond_fn respond) {
                  auto conv = p.get("conversation_id");
                  auto remote = req.remote;
                  on_db(*api, respond, [api, conv, who, remote](pqxx::connection& c) {
                    auto tenant = persistence::release(c, who.scope(), conv, who.actor);
                    if (tenant.empty())
                      return json_error(404, "not_found", "no conversation " + conv);
                    audit(*api, tenant, who.actor, "conversation.release", conv, "ok", remote);
                    return json_ok(200, "{\"conversation_id\":\"" + conv +
                                            "\",\"human_override_until\":null}");
                  });
                }));
}

}  // namespace parley::edge
