// Tests for the media pipeline (actors/media): a fake Graph API and a fake transcription
// provider on loopback (parley's own http_server), the real http_client, libmagic, poppler and
// the content store on a temporary directory. Media bytes are built here: a PNG (zlib), a PDF
// written by hand with computed xref offsets, a Spanish text file, an OGG-ish voice note.
#include "actors/media/media_pipeline.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>
#include <zlib.h>

#include <atomic>
#include <condition_variable>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <random>
#include <thread>

#include "actors/media/content_store.hpp"
#include "actors/media/describe.hpp"
#include "edge/http_client.hpp"
#include "edge/http_server.hpp"
#include "common/signature.hpp"
#include "tests/support/media_samples.hpp"

using namespace parley;
using namespace parley::media;
using namespace parley::test;
using namespace std::chrono_literals;
using namespace std::string_literals;
namespace fs = std::filesystem;

namespace {

// ---------------------------------------------------------------------------------------------
// fake Graph API + transcription provider

struct fake_media {
  std::string bytes, mime;
  std::optional<std::size_t> announced_size;  // what metadata claims; default the real size
  int expired_downloads = 0;                  // the first n downloads answer 404
  int metadata_status = 200;
  std::string metadata_body;   // overrides the JSON when set
  bool park_metadata = false;  // hold the answer until release()
};

fake_media served(std::string bytes, std::string mime) {
  fake_media m;
  m.bytes = std::move(bytes);
  m.mime = std::move(mime);
  return m;
}

class fake_graph {
 public:
  fake_graph()
      : server_(settings(), [this](edge::http_request&& r, edge::respond_fn f) {
          handle(std::move(r), std::move(f));
        }) {
    port_ = server_.bind();
    server_.start();
  }
  ~fake_graph() {
    release();
    server_.stop(500ms);
  }
  std::string base() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void add(const std::string& id, fake_media m) {
    std::lock_guard<std::mutex> g{m_};
    media_[id] = std::move(m);
  }
  void transcription(int status, std::string body) {
    std::lock_guard<std::mutex> g{m_};
    tx_status_ = status;
    tx_body_ = std::move(body);
  }
  int metadata_calls(const std::string& id) {
    std::lock_guard<std::mutex> g{m_};
    return metadata_calls_[id];
  }
  int downloads(const std::string& id) {
    std::lock_guard<std::mutex> g{m_};
    return downloads_[id];
  }
  std::vector<edge::http_request> transcription_requests() {
    std::lock_guard<std::mutex> g{m_};
    return tx_requests_;
  }
  std::vector<std::string> auth_seen() {
    std::lock_guard<std::mutex> g{m_};
    return auth_;
  }
  bool wait_parked(std::size_t n, std::chrono::milliseconds limit = 5s) {
    std::unique_lock<std::mutex> l{m_};
    return cv_.wait_for(l, limit, [&] { return parked_.size() >= n; });
  }
  void release() {
    std::vector<std::pair<edge::respond_fn, edge::http_response>> out;
    {
      std::lock_guard<std::mutex> g{m_};
      out.swap(parked_);
    }
    for (auto& [f, res] : out) f(std::move(res));
  }

 private:
  static edge::http_server_settings settings() {
    edge::http_server_settings s;
    s.host = "127.0.0.1";
    s.port = 0;
    s.threads = 2;
    return s;
  }

  void handle(edge::http_request&& r, edge::respond_fn respond) {
    std::unique_lock<std::mutex> l{m_};
    if (r.path == "/v1/audio/transcriptions") {
      tx_requests_.push_back(r);
      l.unlock();
      return respond(edge::json_ok(tx_status_, tx_body_));
    }
    auth_.emplace_back(r.header("authorization"));
    if (r.path.rfind("/v21.0/", 0) == 0) {
      auto id = r.path.substr(7);
      auto gen = ++metadata_calls_[id];
      auto it = media_.find(id);
      if (it == media_.end())
        return respond(edge::json_error(404, "not_found", "Unsupported get request."));
      auto& m = it->second;
      edge::http_response res;
      res.status = m.metadata_status;
      res.body = !m.metadata_body.empty()
                     ? m.metadata_body
                     : R"({"messaging_product":"whatsapp","url":")" + base() + "/media/" + id +
                           "?gen=" + std::to_string(gen) + R"(","mime_type":")" + m.mime +
                           R"(","sha256":")" + common::sha256_hex(m.bytes) + R"(","file_size":)" +
                           std::to_string(m.announced_size.value_or(m.bytes.size())) +
                           R"(,"id":")" + id + R"("})";
      if (m.park_metadata) {
        parked_.emplace_back(std::move(respond), std::move(res));
        cv_.notify_all();
        return;
      }
      l.unlock();
      return respond(std::move(res));
    }
    if (r.path.rfind("/media/", 0) == 0) {
      auto id = r.path.substr(7);
      auto n = ++downloads_[id];
      auto it = media_.find(id);
      if (it == media_.end() || n <= it->second.expired_downloads)
        return respond(edge::json_error(404, "expired", "url expired"));
      edge::http_response res;
      res.content_type = it->second.mime;
      res.body = it->second.bytes;
      l.unlock();
      return respond(std::move(res));
    }
    respond(edge::json_error(400, "bad", "unknown path"));
  }

  std::mutex m_;
  std::condition_variable cv_;
  std::map<std::string, fake_media> media_;
  std::map<std::string, int> metadata_calls_, downloads_;
  std::vector<std::string> auth_;
  std::vector<edge::http_request> tx_requests_;
  std::vector<std::pair<edge::respond_fn, edge::http_response>> parked_;
  int tx_status_ = 200;
  std::string tx_body_ = R"({"text":"hola, necesito ayuda"})";
  edge::http_server server_;
  uint16_t port_ = 0;
};

uint16_t unused_port() {
  edge::http_server s{edge::http_server_settings{"127.0.0.1", 0},
                    [](edge::http_request&&, edge::respond_fn) {}};
  return s.bind();  // never started: closed again when `s` goes
}

// ---------------------------------------------------------------------------------------------
// fixture

struct outcome {
  std::mutex m;
  std::condition_variable cv;
  std::vector<media_result> got;
  std::thread::id thread;
};

class media : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/parley-media-XXXXXX";
    ASSERT_NE(::mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    settings_.data_dir = dir_.string();
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  media_request request(const std::string& id, const std::string& type, const std::string& mime) {
    media_request r;
    r.tenant_id = "8a0c6b6e-6a53-4c39-9d1f-3f6f1f0f0a01";
    r.message_id = 42;
    r.type = type;
    r.media.id = id;
    r.media.mime_type = mime;
    r.api_base_url = graph_.base();
    r.api_version = "v21.0";
    r.access_token = "tok";
    return r;
  }

  /// Runs one request through a fresh pipeline; checks `done` ran exactly once, off this thread.
  media_result run(media_request r) {
    media_pipeline p{http_, settings_};
    return run_on(p, std::move(r));
  }
  media_result run_on(media_pipeline& p, media_request r) {
    auto out = std::make_shared<outcome>();
    p.process(std::move(r), [out](media_result res) {
      std::lock_guard<std::mutex> g{out->m};
      out->got.push_back(std::move(res));
      out->thread = std::this_thread::get_id();
      out->cv.notify_all();
    });
    std::unique_lock<std::mutex> l{out->m};
    if (!out->cv.wait_for(l, 20s, [&] { return !out->got.empty(); })) {
      ADD_FAILURE() << "no completion within 20 s";
      return {};
    }
    l.unlock();
    std::this_thread::sleep_for(20ms);  // a second completion would show up now
    l.lock();
    EXPECT_EQ(out->got.size(), 1u);
    EXPECT_NE(out->thread, std::this_thread::get_id());
    return out->got.front();
  }

  std::size_t stored_files() const {
    std::size_t n = 0;
    std::error_code ec;
    if (!fs::exists(dir_ / "media")) return 0;
    for (auto& e : fs::recursive_directory_iterator(dir_ / "media", ec))
      if (e.is_regular_file()) ++n;
    return n;
  }

  static std::string read(const std::string& path) {
    std::ifstream f{path, std::ios::binary};
    return std::string{std::istreambuf_iterator<char>{f}, {}};
  }

  fs::path dir_;
  fake_graph graph_;
  edge::http_client http_;
  media_settings settings_;
};

}  // namespace

// ---------------------------------------------------------------------------------------------
// the happy paths

TEST_F(media, png_image_is_stored_and_described_with_dimensions) {
  auto png = make_png(800, 600);
  graph_.add("img1", served(png, "image/png"));
  auto req = request("img1", "image", "image/png");
  req.media.sha256 = webhook_sha256(png);
  auto res = run(req);

  ASSERT_EQ(res.error, media_errc::none) << res.error_text;
  EXPECT_EQ(res.description, "Image (image/png, 800x600)");
  EXPECT_EQ(res.mime_type, "image/png");
  EXPECT_EQ(res.size, png.size());
  EXPECT_EQ(res.sha256_hex, common::sha256_hex(png));
  EXPECT_EQ(res.path, (dir_ / "media" / res.sha256_hex.substr(0, 2) / res.sha256_hex).string());
  EXPECT_EQ(read(res.path), png);
  EXPECT_TRUE(res.extracted_text.empty());
  for (const auto& a : graph_.auth_seen()) EXPECT_EQ(a, "Bearer tok");
  EXPECT_EQ(graph_.metadata_calls("img1"), 1);
  EXPECT_EQ(graph_.downloads("img1"), 1);
}

TEST_F(media, pdf_text_and_page_count_are_extracted) {
  auto pdf = make_pdf({"Factura 123", "Total 45,00 EUR"});
  graph_.add("pdf1", served(pdf, "application/pdf"));
  auto req = request("pdf1", "document", "application/pdf");
  req.media.filename = "factura.pdf";
  auto res = run(req);

  ASSERT_EQ(res.error, media_errc::none) << res.error_text;
  EXPECT_EQ(res.mime_type, "application/pdf");
  EXPECT_EQ(res.description.rfind("Document factura.pdf (application/pdf, 2 pages): ", 0), 0u)
      << res.description;
  EXPECT_NE(res.description.find("Factura 123"), std::string::npos) << res.description;
  EXPECT_NE(res.extracted_text.find("Factura 123"), std::string::npos) << res.extracted_text;
  EXPECT_NE(res.extracted_text.find("Total 45,00 EUR"), std::string::npos) << res.extracted_text;
  EXPECT_EQ(read(res.path), pdf);
}

TEST_F(media, spanish_text_document_is_kept_as_is) {
  std::string text = "Hola, quería saber el estado del envío nº 42.\nGracias, José Muñoz";
  graph_.add("txt1", served(text, "text/plain"));
  auto req = request("txt1", "document", "text/plain");
  req.media.filename = "pedido.txt";
  auto res = run(req);

  ASSERT_EQ(res.error, media_errc::none) << res.error_text;
  EXPECT_EQ(res.mime_type, "text/plain");
  EXPECT_EQ(res.extracted_text, text);
  EXPECT_EQ(res.description,
            "Document pedido.txt (text/plain, " + human_size(text.size()) +
                "): Hola, quería saber el estado del envío nº 42. Gracias, José Muñoz");
}

TEST_F(media, text_document_is_cut_at_max_text_chars) {
  std::string text;
  for (int i = 0; i < 3000; ++i) text += "línea ";
  graph_.add("long", served(text, "text/plain"));
  auto res = run(request("long", "document", "text/plain"));
  ASSERT_EQ(res.error, media_errc::none) << res.error_text;
  EXPECT_EQ(res.extracted_text, text);  // 18000 code points: under the default limit
  ASSERT_GT(res.description.size(), 3u);
  EXPECT_EQ(res.description.substr(res.description.size() - 3), "…");

  settings_.limits.max_text_chars = 100;
  res = run(request("long", "document", "text/plain"));
  std::string first100;  // 16 x 6 code points + 4
  for (int i = 0; i < 16; ++i) first100 += "línea ";
  EXPECT_EQ(res.extracted_text, first100 + "líne");
}

TEST_F(media, voice_note_is_transcribed_when_a_provider_is_configured) {
  auto ogg = ogg_voice_note();
  graph_.add("voice1", served(ogg, "audio/ogg; codecs=opus"));
  settings_.transcription_base_url = graph_.base() + "/";
  settings_.transcription_api_key = "sk-test";
  auto req = request("voice1", "audio", "audio/ogg");
  req.media.voice = true;
  auto res = run(req);

  ASSERT_EQ(res.error, media_errc::none) << res.error_text;
  EXPECT_EQ(res.extracted_text, "hola, necesito ayuda");
  EXPECT_EQ(res.error_text, "");
  EXPECT_EQ(res.description.rfind("Voice message (", 0), 0u) << res.description;
  EXPECT_NE(res.description.find("transcript: \"hola, necesito ayuda\""), std::string::npos)
      << res.description;
  auto calls = graph_.transcription_requests();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, "POST");
  EXPECT_EQ(calls[0].header("authorization"), "Bearer sk-test");
  EXPECT_EQ(calls[0].header("content-type").rfind("multipart/form-data; boundary=", 0), 0u);
  const auto& body = calls[0].body;
  EXPECT_NE(body.find("name=\"model\"\r\n\r\nwhisper-1\r\n"), std::string::npos);
  EXPECT_NE(body.find("name=\"file\"; filename=\"audio.ogg\""), std::string::npos);
  EXPECT_NE(body.find(ogg), std::string::npos);
}

TEST_F(media, voice_note_without_provider_gets_a_note) {
  auto ogg = ogg_voice_note();
  graph_.add("voice2", served(ogg, "audio/ogg"));
  auto req = request("voice2", "audio", "audio/ogg; codecs=opus");  // as webhooks send it
  req.media.voice = true;
  auto res = run(req);

  ASSERT_EQ(res.error, media_errc::none) << res.error_text;
  EXPECT_TRUE(res.extracted_text.empty());
  EXPECT_EQ(res.description.rfind("Voice message (", 0), 0u) << res.description;
  EXPECT_NE(res.description.find("(audio/ogg, 3 KB); no transcription provider configured"),
            std::string::npos)
      << res.description;
  EXPECT_FALSE(res.path.empty());
  EXPECT_TRUE(graph_.transcription_requests().empty());
}

TEST_F(media, transcription_failure_keeps_the_media_with_a_note) {
  graph_.add("voice3", served(ogg_voice_note(), "audio/ogg"));
  graph_.transcription(503, R"({"error":"overloaded"})");
  settings_.transcription_base_url = graph_.base();
  auto req = request("voice3", "audio", "audio/ogg");
  req.media.voice = true;
  auto res = run(req);
  EXPECT_EQ(res.error, media_errc::none);
  EXPECT_EQ(res.error_text.rfind("transcription failed: provider: HTTP 503", 0), 0u)
      << res.error_text;
  EXPECT_NE(res.description.find("; transcription failed"), std::string::npos);
  EXPECT_FALSE(res.path.empty());

  settings_.transcription_base_url = "http://127.0.0.1:" + std::to_string(unused_port());
  res = run(req);
  EXPECT_EQ(res.error, media_errc::none);
  EXPECT_EQ(res.error_text.rfind("transcription failed: provider: ", 0), 0u) << res.error_text;
}

TEST_F(media, video_and_sticker_get_short_notes) {
  graph_.add("vid", served(random_bytes(2048, 3), "video/mp4"));
  auto res = run(request("vid", "video", "video/mp4"));
  ASSERT_EQ(res.error, media_errc::none) << res.error_text;
  EXPECT_EQ(res.description, "Video (video/mp4, 2 KB)");

  // A VP8X WebP header: 512x512, animated.
  std::string webp = "RIFF\x00\x01\x00\x00WEBPVP8X"s;
  webp += std::string{"\x0a\x00\x00\x00\x02\x00\x00\x00\xff\x01\x00\xff\x01\x00", 14};
  webp += random_bytes(64, 5);
  graph_.add("stk", served(webp, "image/webp"));
  res = run(request("stk", "sticker", "image/webp"));
  ASSERT_EQ(res.error, media_errc::none) << res.error_text;
  EXPECT_EQ(res.description, "Sticker (image/webp, 512x512, animated)");
}

// ---------------------------------------------------------------------------------------------
// failures

TEST_F(media, bad_hash_is_a_mismatch_and_nothing_is_stored) {
  auto png = make_png(10, 10);
  graph_.add("img2", served(png, "image/png"));
  auto req = request("img2", "image", "image/png");
  req.media.sha256 = webhook_sha256("something else");
  auto res = run(req);
  EXPECT_EQ(res.error, media_errc::hash_mismatch);
  EXPECT_TRUE(res.path.empty());
  EXPECT_EQ(stored_files(), 0u);
  EXPECT_EQ(res.description,
            "Image (image/png); not processed: the download failed its integrity check");
}

TEST_F(media, metadata_hash_is_used_when_the_webhook_has_none) {
  auto m = served(make_png(10, 10), "image/png");
  m.metadata_body = R"({"url":")" + graph_.base() +
                    R"(/media/img3","mime_type":"image/png",)"
                    R"("sha256":")" +
                    std::string(64, 'a') + R"(","file_size":100,"id":"img3"})";
  graph_.add("img3", m);
  auto res = run(request("img3", "image", "image/png"));
  EXPECT_EQ(res.error, media_errc::hash_mismatch);
  EXPECT_EQ(stored_files(), 0u);
}

TEST_F(media, announced_size_over_the_limit_is_refused_without_downloading) {
  auto m = served(make_png(10, 10), "image/png");
  m.announced_size = 6u << 20;
  graph_.add("big", m);
  auto res = run(request("big", "image", "image/png"));
  EXPECT_EQ(res.error, media_errc::too_large) << res.error_text;
  EXPECT_EQ(res.size, 6u << 20);
  EXPECT_EQ(res.description, "Image (image/png); not processed: too large (6.0 MB, limit 5.0 MB)");
  EXPECT_EQ(graph_.metadata_calls("big"), 1);
  EXPECT_EQ(graph_.downloads("big"), 0);
  EXPECT_EQ(stored_files(), 0u);
}

TEST_F(media, body_over_the_limit_is_refused_when_metadata_lies) {
  auto m = served(make_png(60, 60, true), "image/png");
  ASSERT_GT(m.bytes.size(), 5000u);
  m.announced_size = 500;
  graph_.add("liar", m);
  settings_.limits.image = 1000;
  auto res = run(request("liar", "image", "image/png"));
  EXPECT_EQ(res.error, media_errc::too_large) << res.error_text;
  EXPECT_EQ(res.size, m.bytes.size());
  EXPECT_EQ(graph_.downloads("liar"), 1);
  EXPECT_EQ(stored_files(), 0u);
}

TEST_F(media, expired_url_is_renewed_once) {
  auto m = served(make_png(32, 16), "image/png");
  m.expired_downloads = 1;
  graph_.add("exp", m);
  auto res = run(request("exp", "image", "image/png"));
  ASSERT_EQ(res.error, media_errc::none) << res.error_text;
  EXPECT_EQ(res.description, "Image (image/png, 32x16)");
  EXPECT_EQ(graph_.metadata_calls("exp"), 2);
  EXPECT_EQ(graph_.downloads("exp"), 2);
}

TEST_F(media, url_expiring_again_after_renewal_is_not_found) {
  auto m = served(make_png(32, 16), "image/png");
  m.expired_downloads = 100;
  graph_.add("gone", m);
  auto res = run(request("gone", "image", "image/png"));
  EXPECT_EQ(res.error, media_errc::not_found) << res.error_text;
  EXPECT_EQ(graph_.metadata_calls("gone"), 2);
  EXPECT_EQ(graph_.downloads("gone"), 2);
}

TEST_F(media, unknown_media_id_is_not_found) {
  auto res = run(request("nope", "image", "image/jpeg"));
  EXPECT_EQ(res.error, media_errc::not_found);
  EXPECT_EQ(res.description, "Image (image/jpeg); not processed: the media expired or is unknown");

  // What Graph really answers for an expired id: 400, code 100, subcode 33.
  auto m = served("x", "image/jpeg");
  m.metadata_status = 400;
  m.metadata_body =
      R"({"error":{"message":"Unsupported get request. Object with ID 'old' does not exist",)"
      R"("type":"GraphMethodException","code":100,"error_subcode":33,"fbtrace_id":"A"}})";
  graph_.add("old", m);
  res = run(request("old", "image", "image/jpeg"));
  EXPECT_EQ(res.error, media_errc::not_found) << res.error_text;
}

TEST_F(media, rejected_token_is_a_download_failure) {
  auto m = served("x", "image/jpeg");
  m.metadata_status = 401;
  m.metadata_body = R"({"error":{"message":"Error validating access token","code":190}})";
  graph_.add("tok", m);
  auto res = run(request("tok", "image", "image/jpeg"));
  EXPECT_EQ(res.error, media_errc::download_failed);
  EXPECT_EQ(res.error_text.rfind("media metadata: HTTP 401", 0), 0u) << res.error_text;
}

TEST_F(media, graph_api_down_fails_quickly) {
  auto req = request("img", "image", "image/png");
  req.api_base_url = "http://127.0.0.1:" + std::to_string(unused_port());
  auto start = std::chrono::steady_clock::now();
  auto res = run(req);
  EXPECT_EQ(res.error, media_errc::download_failed);
  EXPECT_EQ(res.error_text.rfind("media metadata: ", 0), 0u) << res.error_text;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(media, unsupported_type_and_bad_media_id_never_reach_the_network) {
  auto res = run(request("x1", "location", ""));
  EXPECT_EQ(res.error, media_errc::unsupported);
  res = run(request("../../etc/passwd", "image", "image/png"));
  EXPECT_EQ(res.error, media_errc::unsupported);
  EXPECT_TRUE(graph_.auth_seen().empty());
}

TEST_F(media, garbage_declared_as_pdf_is_handled) {
  graph_.add("junk", served(random_bytes(4096, 9), "application/pdf"));
  auto req = request("junk", "document", "application/pdf");
  req.media.filename = "x.pdf";
  auto res = run(req);
  ASSERT_EQ(res.error, media_errc::none) << res.error_text;
  EXPECT_EQ(res.mime_type, "application/octet-stream");
  EXPECT_EQ(res.description, "Document x.pdf (application/pdf, 4 KB); not a readable PDF");
  EXPECT_TRUE(res.extracted_text.empty());
}

TEST_F(media, binary_declared_as_text_is_not_read_as_text) {
  graph_.add("bin", served(random_bytes(1000, 12), "text/plain"));
  auto req = request("bin", "document", "text/plain");
  req.media.filename = "notes.txt";
  auto res = run(req);
  ASSERT_EQ(res.error, media_errc::none) << res.error_text;
  EXPECT_EQ(res.description, "Document notes.txt (text/plain, 1000 B); no text could be extracted");
  EXPECT_TRUE(res.extracted_text.empty());
}

TEST_F(media, pipeline_destroyed_mid_flight_still_completes_once) {
  auto m = served(make_png(4, 4), "image/png");
  m.park_metadata = true;
  graph_.add("slow", m);
  auto out = std::make_shared<outcome>();
  {
    media_pipeline p{http_, settings_};
    p.process(request("slow", "image", "image/png"), [out](media_result r) {
      std::lock_guard<std::mutex> g{out->m};
      out->got.push_back(std::move(r));
      out->cv.notify_all();
    });
    ASSERT_TRUE(graph_.wait_parked(1));
  }
  graph_.release();
  std::unique_lock<std::mutex> l{out->m};
  ASSERT_TRUE(out->cv.wait_for(l, 10s, [&] { return !out->got.empty(); }));
  EXPECT_EQ(out->got[0].error, media_errc::download_failed);
  EXPECT_EQ(out->got[0].error_text, "stopped");
  l.unlock();
  std::this_thread::sleep_for(50ms);
  EXPECT_EQ(out->got.size(), 1u);
}

TEST_F(media, concurrent_requests_each_complete_once) {
  settings_.workers = 2;
  media_pipeline p{http_, settings_};
  graph_.add("c-png", served(make_png(20, 30), "image/png"));
  graph_.add("c-pdf", served(make_pdf({"Factura 9"}), "application/pdf"));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0};
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto res = i % 2 ? run_on(p, request("c-png", "image", "image/png"))
                       : run_on(p, request("c-pdf", "document", "application/pdf"));
      if (res.error == media_errc::none) ++ok;
    });
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 8);
  EXPECT_EQ(stored_files(), 2u);
}

// ---------------------------------------------------------------------------------------------
// content store

TEST_F(media, same_bytes_twice_give_the_same_path) {
  graph_.add("a", served(make_png(5, 5), "image/png"));
  graph_.add("b", served(make_png(5, 5), "image/png"));
  media_pipeline p{http_, settings_};
  auto first = run_on(p, request("a", "image", "image/png"));
  auto second = run_on(p, request("b", "image", "image/png"));
  ASSERT_EQ(first.error, media_errc::none);
  ASSERT_EQ(second.error, media_errc::none);
  EXPECT_EQ(first.path, second.path);
  EXPECT_EQ(stored_files(), 1u);
}

TEST_F(media, content_store_is_atomic_and_idempotent) {
  content_store store{dir_.string()};
  std::string bytes = "hello";
  auto sha = common::sha256_hex(bytes);
  auto a = store.put(bytes, sha);
  ASSERT_TRUE(a.error.empty()) << a.error;
  EXPECT_FALSE(a.existed);
  auto b = store.put(bytes, sha);
  EXPECT_TRUE(b.existed);
  EXPECT_EQ(a.path, b.path);
  EXPECT_EQ(a.path, store.path_for(sha));
  EXPECT_EQ(read(a.path), bytes);
  EXPECT_EQ(stored_files(), 1u);  // no temp file left behind

  // A partial file under the final name (crash of a non-atomic writer) is replaced.
  { std::ofstream{a.path, std::ios::trunc} << "he"; }
  auto c = store.put(bytes, sha);
  EXPECT_FALSE(c.existed);
  EXPECT_EQ(read(a.path), bytes);

  EXPECT_FALSE(store.put(bytes, "../../x").error.empty());
  EXPECT_TRUE(store.path_for(std::string(64, 'G')).empty());
}

TEST_F(media, content_store_reports_an_unwritable_directory) {
  content_store store{"/proc/parley-no-such-dir"};
  auto r = store.put("x", common::sha256_hex("x"));
  EXPECT_FALSE(r.error.empty());
  EXPECT_TRUE(r.path.empty());
}

// ---------------------------------------------------------------------------------------------
// describe: robustness on any bytes

TEST(media_describe, image_headers) {
  auto png = read_image_header(make_png(3, 7));
  ASSERT_TRUE(png);
  EXPECT_EQ(png->format, "png");
  EXPECT_EQ(png->width, 3u);
  EXPECT_EQ(png->height, 7u);

  // JPEG: SOI, APP0 (skipped), SOF0 with height 480, width 640.
  std::string jpeg{"\xff\xd8\xff\xe0\x00\x04\x00\x00\xff\xc0\x00\x11\x08\x01\xe0\x02\x80\x03", 18};
  auto j = read_image_header(jpeg);
  ASSERT_TRUE(j);
  EXPECT_EQ(j->width, 640u);
  EXPECT_EQ(j->height, 480u);

  auto g = read_image_header(std::string{"GIF89a\x40\x01\xf0\x00", 10});
  ASSERT_TRUE(g);
  EXPECT_EQ(g->width, 320u);
  EXPECT_EQ(g->height, 240u);

  std::string vp8l = "RIFF\x00\x00\x00\x00WEBPVP8L"s;
  vp8l += std::string{"\x05\x00\x00\x00\x2f", 5};
  uint32_t bits = (99u) | (49u << 14);  // 100x50
  for (int i = 0; i < 4; ++i) vp8l += char((bits >> (8 * i)) & 0xFF);
  vp8l += std::string(8, '\0');
  auto w = read_image_header(vp8l);
  ASSERT_TRUE(w);
  EXPECT_EQ(w->width, 100u);
  EXPECT_EQ(w->height, 50u);

  // Every truncation of every header: no crash, no read past the end (ASan builds check).
  for (const auto& full : {make_png(3, 7), jpeg, vp8l, std::string{"GIF89a\x40\x01\xf0\x00", 10}})
    for (std::size_t n = 0; n < full.size(); ++n) {
      auto cut = std::make_unique<char[]>(n + 1);
      std::memcpy(cut.get(), full.data(), n);
      (void)read_image_header(std::string_view{cut.get(), n});
    }
  EXPECT_FALSE(read_image_header("\xff\xd8\xff\xe0\x00\x01"s));  // bad segment length
}

TEST(media_describe, pdf_parser_survives_garbage_and_truncation) {
  auto pdf = make_pdf({"Factura 123"});
  auto ok = extract_pdf(pdf, 1000);
  EXPECT_TRUE(ok.opened);
  EXPECT_EQ(ok.pages, 1);
  EXPECT_NE(ok.text.find("Factura 123"), std::string::npos);

  std::vector<std::string> bad = {"",
                                  "%PDF-",
                                  "%PDF-1.7\n" + random_bytes(5000, 1),
                                  random_bytes(10000, 2),
                                  pdf.substr(0, pdf.size() / 2),
                                  pdf.substr(0, pdf.size() - 30)};
  for (std::size_t cut = 10; cut < pdf.size(); cut += 37) bad.push_back(pdf.substr(0, cut));
  for (const auto& b : bad) {
    auto r = extract_pdf(b, 1000);
    EXPECT_LE(r.text.size(), 4000u);
    describe_input in;
    in.type = "document";
    in.sniffed_mime = sniff_mime(b);
    in.declared_mime = "application/pdf";
    in.bytes = b;
    EXPECT_FALSE(describe(in).line.empty());
  }
}

TEST(media_describe, sniffing_ignores_the_declared_type) {
  EXPECT_EQ(sniff_mime(make_png(2, 2)), "image/png");
  EXPECT_EQ(sniff_mime(make_pdf({"x"})), "application/pdf");
  EXPECT_EQ(sniff_mime("plain words, nothing else\n"), "text/plain");
  EXPECT_EQ(sniff_mime(""), "application/octet-stream");
  std::string mz = "MZ" + random_bytes(200, 4);
  describe_input in;
  in.type = "image";
  in.sniffed_mime = sniff_mime(mz);
  in.declared_mime = "image/png";
  in.bytes = mz;
  EXPECT_NE(describe(in).line.find("dimensions unknown"), std::string::npos);
}

TEST(media_describe, text_is_cleaned_to_valid_utf8) {
  EXPECT_EQ(clean_text("caf\xe9 ni\xf1o", 100), "café niño");  // Latin-1 export
  EXPECT_EQ(clean_text("\xef\xbb\xbfhola\0mundo\x01"s, 100), "holamundo");
  EXPECT_EQ(clean_text(std::string{"\xff\xfeh\0\xed\0", 6}, 100), "hí");  // UTF-16LE + BOM
  EXPECT_EQ(clean_text("añoñoño", 3), "año");
  EXPECT_EQ(clean_text("año \xc3 ya", 100), "año \xef\xbf\xbd ya");  // mostly UTF-8: U+FFFD
  EXPECT_EQ(one_line("  a\n\n b\t c  ", 100), "a b c");
  EXPECT_EQ(one_line("abcdef", 3), "abc…");
  EXPECT_EQ(mime_essence(" Audio/OGG; codecs=opus"), "audio/ogg");
  EXPECT_EQ(mime_essence("image/png\r\nX-Evil: 1"), "");
  EXPECT_EQ(human_size(512), "512 B");
  EXPECT_EQ(human_size(12 * 1024), "12 KB");
  EXPECT_EQ(human_size(3 * 1024 * 1024 + 400 * 1024), "3.4 MB");
}
