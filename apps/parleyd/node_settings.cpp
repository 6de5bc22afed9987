#include "apps/parleyd/node_settings.hpp"

#include <chrono>

#include "supervisors/node_config.hpp"

namespace parley {

namespace {

std::chrono::milliseconds ms(caf::timespan t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(t);
}

}  // namespace

persistence::pool_settings pool_settings_from(const node_config& cfg) {
  persistence::pool_settings ps;
  ps.url = cfg.database_url;
  ps.threads = cfg.database_pool_size;
  ps.connect_timeout_s = cfg.database_connect_timeout_s;
  ps.statement_timeout_ms = cfg.database_statement_timeout_ms;
  return ps;
}

edge::http_server_settings http_server_settings_from(const node_config& cfg) {
  edge::http_server_settings hs;
  hs.host = cfg.http_host;
  hs.port = cfg.http_port;
  hs.body_limit = cfg.http_body_limit;
  hs.threads = cfg.http_threads;
  hs.read_timeout = ms(cfg.http_read_timeout);
  hs.idle_timeout = ms(cfg.http_idle_timeout);
  return hs;
}

edge::http_client_settings http_client_settings_from(const node_config& cfg) {
  edge::http_client_settings hcs;
  hcs.verify_tls = cfg.outbox_verify_tls;
  return hcs;
}

edge::http_client_settings media_client_settings_from(const node_config& cfg) {
  auto hcs = http_client_settings_from(cfg);
  hcs.body_limit = 110u << 20;
  return hcs;
}

media::media_settings media_settings_from(const node_config& cfg) {
  media::media_settings s;
  s.data_dir = cfg.data_dir;
  return s;
}

actors::outbox_settings outbox_settings_from(const node_config& cfg) {
  actors::outbox_settings s;
  s.max_attempts = cfg.outbox_max_attempts;
  s.retry_base = ms(cfg.outbox_retry_base);
  s.retry_max = ms(cfg.outbox_retry_max);
  s.send_timeout = ms(cfg.outbox_send_timeout);
  s.uncertain_wait = ms(cfg.outbox_uncertain_wait);
  return s;
}

actors::limits limits_from(const node_config& cfg) {
  actors::limits l;
  l.max_active_conversations = cfg.max_active_conversations;
  l.tenant_max_in_flight = cfg.tenant_max_in_flight;
  l.conversation_max_queued = cfg.conversation_max_queued;
  l.tenant_idle = ms(cfg.tenant_idle);
  return l;
}

actors::services services_from(const node_config& cfg) {
  actors::services svc;
  svc.buffer_window = ms(cfg.buffer_window);
  svc.conversation_idle = ms(cfg.conversation_idle);
  svc.outbox = outbox_settings_from(cfg);
  svc.limit = limits_from(cfg);
  svc.fault_injection = cfg.fault_injection;
  return svc;
}

edge::api_context api_context_from(const node_config& cfg) {
  edge::api_context api;
  api.admin_token = cfg.admin_token;
  api.token_ttl_s =
      static_cast<int>(std::chrono::duration_cast<std::chrono::seconds>(cfg.token_ttl).count());
  api.default_grace_s =
      std::chrono::duration_cast<std::chrono::seconds>(cfg.key_rotation_grace).count();
  return api;
}

}  // namespace parley
