#include "supervisors/node_config.hpp"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

using namespace parley;

namespace {

std::string write_temp(const std::string& text) {
  char path[] = "/tmp/parley-config-XXXXXX";
  int fd = mkstemp(path);
  close(fd);
  std::ofstream{path} << text;
  return path;
}

// Every successful load needs a master key file (its content is checked by the node, later).
const std::map<std::string, std::string> key{{"PARLEY_MASTER_KEY_FILE", "/dev/null"}};

std::map<std::string, std::string> with_key(std::map<std::string, std::string> env) {
  env.emplace("PARLEY_MASTER_KEY_FILE", "/dev/null");
  return env;
}

const char* three_nodes = R"(
[parley]
node="node2"
log-format="text"
[database]
url="postgresql://from-file/db"
pool-size=3
[conversation]
buffer-window=750ms
[cluster]
nodes={
  node1={host="127.0.0.1", cluster-port=4101, http-port=8081},
  node2={host="127.0.0.2", cluster-port=4102, http-port=8082},
  node3={host="127.0.0.3", cluster-port=4103, http-port=8083}
}
)";

}  // namespace

TEST(node_config, defaults_are_one_local_node) {
  node_config cfg;
  ASSERT_EQ(load(cfg, {}, key), "");
  EXPECT_EQ(cfg.node, "node1");
  ASSERT_EQ(cfg.nodes.size(), 1u);
  EXPECT_EQ(cfg.http_port, 8080);
  EXPECT_EQ(cfg.http_host, "127.0.0.1");
  EXPECT_EQ(cfg.buffer_window, std::chrono::seconds{2});
  EXPECT_EQ(cfg.conversation_idle, std::chrono::minutes{10});
}

TEST(node_config, file_selects_node_and_its_ports) {
  auto path = write_temp(three_nodes);
  node_config cfg;
  ASSERT_EQ(load(cfg, {"--config", path}, key), "");
  EXPECT_EQ(cfg.node, "node2");
  EXPECT_EQ(cfg.nodes.size(), 3u);
  EXPECT_EQ(cfg.http_port, 8082);
  EXPECT_EQ(cfg.http_host, "127.0.0.2");
  EXPECT_EQ(cfg.self().cluster_port, 4102);
  EXPECT_EQ(cfg.database_url, "postgresql://from-file/db");
  EXPECT_EQ(cfg.database_pool_size, 3u);
  EXPECT_EQ(cfg.log_format, "text");
  EXPECT_EQ(cfg.buffer_window, std::chrono::milliseconds{750});
  std::remove(path.c_str());
}

TEST(node_config, environment_overrides_the_file) {
  auto path = write_temp(three_nodes);
  node_config cfg;
  ASSERT_EQ(load(cfg, {},
                 {{"PARLEY_MASTER_KEY_FILE", "/dev/null"},
                  {"PARLEY_CONFIG", path},
                  {"PARLEY_NODE", "node3"},
                  {"PARLEY_DATABASE_URL", "postgresql://from-env/db"},
                  {"PARLEY_HTTP_PORT", "9999"},
                  {"PARLEY_ADMIN_TOKEN", "secret"},
                  {"PARLEY_BUFFER_WINDOW_MS", "0"},
                  {"PARLEY_CONVERSATION_IDLE_MS", "1500"}}),
            "");
  EXPECT_EQ(cfg.node, "node3");
  EXPECT_EQ(cfg.http_port, 9999);
  EXPECT_EQ(cfg.http_host, "127.0.0.3");
  EXPECT_EQ(cfg.database_url, "postgresql://from-env/db");
  EXPECT_EQ(cfg.admin_token, "secret");
  EXPECT_EQ(cfg.buffer_window, std::chrono::milliseconds{0});
  EXPECT_EQ(cfg.conversation_idle, std::chrono::milliseconds{1500});
  std::remove(path.c_str());
}

TEST(node_config, command_line_node_beats_environment) {
  auto path = write_temp(three_nodes);
  node_config cfg;
  ASSERT_EQ(
      load(cfg, {"--config=" + path, "--node", "node1"}, with_key({{"PARLEY_NODE", "node3"}})), "");
  EXPECT_EQ(cfg.node, "node1");
  std::remove(path.c_str());
}

TEST(node_config, command_line_settings_beat_the_file) {
  auto path = write_temp(three_nodes);
  node_config cfg;
  ASSERT_EQ(load(cfg, {"--config", path, "--database.pool-size=7"}, key), "");
  EXPECT_EQ(cfg.database_pool_size, 7u);
  std::remove(path.c_str());
}

TEST(node_config, errors_are_clear) {
  {
    node_config cfg;
    EXPECT_NE(load(cfg, {"--config", "/nonexistent/cluster.conf"}, {}).find("cannot read"),
              std::string::npos);
  }
  {
    node_config cfg;
    EXPECT_NE(load(cfg, {}, {{"PARLEY_NODE", "ghost"}}).find("not in cluster.nodes"),
              std::string::npos);
  }
  {
    node_config cfg;
    EXPECT_NE(load(cfg, {}, {{"PARLEY_HTTP_PORT", "http"}}).find("PARLEY_HTTP_PORT"),
              std::string::npos);
  }
  {
    node_config cfg;
    EXPECT_NE(load(cfg, {}, {{"PARLEY_BUFFER_WINDOW_MS", "-5"}}).find("PARLEY_BUFFER_WINDOW_MS"),
              std::string::npos);
  }
  {
    auto path = write_temp("[parley]\nlog-format=\"yaml\"\n");
    node_config cfg;
    EXPECT_NE(load(cfg, {"--config", path}, key).find("log-format"), std::string::npos);
    std::remove(path.c_str());
  }
  {
    auto path = write_temp("[database]\npool-size=\"many\"\n");
    node_config cfg;
    EXPECT_NE(load(cfg, {"--config", path}, {}), "");
    std::remove(path.c_str());
  }
  {
    node_config cfg;
    EXPECT_NE(load(cfg, {"--no-such-option=1"}, {}), "");
  }
  {
    // A send another process started may be answered until its timeout: wait longer than that.
    node_config cfg;
    EXPECT_NE(load(cfg, {"--outbox.send-timeout=5s", "--outbox.uncertain-wait=5s"}, key)
                  .find("outbox.uncertain-wait must be longer than outbox.send-timeout"),
              std::string::npos);
    node_config ok;
    EXPECT_EQ(load(ok, {"--outbox.send-timeout=2s", "--outbox.uncertain-wait=3s"}, key), "");
    EXPECT_EQ(ok.outbox_uncertain_wait, std::chrono::seconds{3});
  }
}

TEST(node_config, the_shipped_cluster_conf_loads) {
  node_config cfg;
  ASSERT_EQ(load(cfg, {"--config", std::string{PARLEY_SOURCE_DIR} + "/cluster.conf"}, key), "");
  EXPECT_EQ(cfg.node, "node1");
  EXPECT_EQ(cfg.http_port, 8080);
}

TEST(node_config, a_master_key_file_is_required) {
  node_config cfg;
  EXPECT_NE(load(cfg, {}, {}).find("master-key-file"), std::string::npos);
}

TEST(node_config, typos_in_our_groups_are_errors) {
  auto path = write_temp("[database]\npool-sise=3\n");
  node_config cfg;
  EXPECT_NE(load(cfg, {"--config", path}, {}).find("unknown setting database.pool-sise"),
            std::string::npos);
  std::remove(path.c_str());
}

TEST(node_config, cluster_settings_are_read_and_checked) {
  auto path = write_temp(std::string{three_nodes} +
                         "heartbeat-interval=50ms\nfailure-timeout=500ms\nlease-ttl=2s\n");
  node_config cfg;
  ASSERT_EQ(load(cfg, {"--config", path}, key), "");
  EXPECT_TRUE(cfg.clustered());
  EXPECT_EQ(cfg.cluster_heartbeat, std::chrono::milliseconds{50});
  EXPECT_EQ(cfg.cluster_failure_timeout, std::chrono::milliseconds{500});
  EXPECT_EQ(cfg.cluster_lease_ttl, std::chrono::seconds{2});
  std::remove(path.c_str());

  auto typo = write_temp(std::string{three_nodes} + "lease-tll=2s\n");
  node_config bad;
  EXPECT_NE(load(bad, {"--config", typo}, key).find("unknown setting cluster.lease-tll"),
            std::string::npos);
  std::remove(typo.c_str());

  auto silly = write_temp(std::string{three_nodes} + "failure-timeout=100ms\n");
  node_config too_short;
  EXPECT_NE(load(too_short, {"--config", silly}, key).find("failure-timeout"), std::string::npos);
  std::remove(silly.c_str());
}

TEST(node_config, nodes_beyond_loopback_require_tls) {
  auto path = write_temp(R"(
[cluster]
nodes={
  node1={host="10.0.0.1", cluster-port=4101, http-port=8081},
  node2={host="10.0.0.2", cluster-port=4102, http-port=8082}
}
)");
  node_config cfg;
  EXPECT_NE(load(cfg, {"--config", path}, key).find("cluster.tls=true is required"),
            std::string::npos);
  std::remove(path.c_str());
}

TEST(node_config, tls_files_name_the_node_and_must_exist) {
  auto dir = write_temp("");
  std::remove(dir.c_str());
  ASSERT_EQ(::mkdir(dir.c_str(), 0700), 0);
  for (const char* f : {"/ca.pem", "/node2.pem", "/node2.key"}) std::ofstream{dir + f} << "x";
  auto conf = std::string{three_nodes} + "tls=true\ntls-certificate=\"" + dir +
              "/{node}.pem\"\ntls-key=\"" + dir + "/{node}.key\"\ntls-ca-file=\"" + dir +
              "/ca.pem\"\n";
  auto path = write_temp(conf);
  node_config cfg;
  ASSERT_EQ(load(cfg, {"--config", path}, key), "");
  EXPECT_EQ(cfg.cluster_tls_certificate, dir + "/node2.pem");
  EXPECT_EQ(cfg.cluster_tls_key, dir + "/node2.key");
  node_config other;
  EXPECT_NE(load(other, {"--config", path, "--node", "node3"}, key).find("node3.pem"),
            std::string::npos);
  std::remove(path.c_str());
  for (const char* f : {"/ca.pem", "/node2.pem", "/node2.key"}) std::remove((dir + f).c_str());
  ::rmdir(dir.c_str());
}
