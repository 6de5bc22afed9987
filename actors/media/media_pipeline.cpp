#include "actors/media/media_pipeline.hpp"

#include <algorithm>
#include <atomic>
#include <cctype>
#include <condition_variable>
#include <cstdlib>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <vector>

#include "actors/media/content_store.hpp"
#include "actors/media/describe.hpp"
#include "edge/http_client.hpp"
#include "common/json_body.hpp"
#include "common/signature.hpp"

namespace parley::media {

namespace {

// ---------------------------------------------------------------------------------------------
// worker threads: the state is shared with the threads so a pool stopped from one of its own
// threads (a `done` that destroys the pipeline) can detach that thread safely.

class worker_pool {
 public:
  explicit worker_pool(int n) : st_(std::make_shared<state>()) {
    for (int i = 0; i < std::max(1, n); ++i) threads_.emplace_back([st = st_] { run(*st); });
  }
  ~worker_pool() { stop(); }

  /// False once stopping: the job did not and will not run.
  bool post(std::function<void()> job) {
    {
      std::lock_guard<std::mutex> g{st_->m};
      if (st_->stopping) return false;
      st_->q.push_back(std::move(job));
    }
    st_->cv.notify_one();
    return true;
  }

  /// Queued jobs still run (each carries a `done` that must be called); then the threads end.
  void stop() {
    {
      std::lock_guard<std::mutex> g{st_->m};
      st_->stopping = true;
    }
    st_->cv.notify_all();
    for (auto& t : threads_) {
      if (!t.joinable()) continue;
      if (t.get_id() == std::this_thread::get_id())
        t.detach();
      else
        t.join();
    }
  }

 private:
  struct state {
    std::mutex m;
    std::condition_variable cv;
    std::deque<std::function<void()>> q;
    bool stopping = false;
  };

  static void run(state& st) {
    for (;;) {
      std::function<void()> job;
      {
        std::unique_lock<std::mutex> l{st.m};
        st.cv.wait(l, [&] { return st.stopping || !st.q.empty(); });
        if (st.q.empty()) return;
        job = std::move(st.q.front());
        st.q.pop_front();
      }
      job();  // jobs catch their own exceptions
    }
  }

  std::shared_ptr<state> st_;
  std::vector<std::thread> threads_;
};

// ---------------------------------------------------------------------------------------------
// one media item on its way through the steps; each step hands it to the next thread

struct job {
  media_request req;
  std::function<void(media_result)> done;
  std::atomic<bool> finished{false};
  media_result res;
  std::size_t limit = 0;
  bool refreshed = false;  // the download URL was already renewed once
  std::string meta_sha256, meta_mime;
  std::size_t announced_size = 0;
};
using job_ptr = std::shared_ptr<job>;

std::string snippet(const std::string& body) {
  return one_line(clean_text(body.substr(0, 400), 200), 200);
}

std::string http_failure(const char* step, const edge::client_response& r) {
  if (r.status == 0) return std::string{step} + ": " + (r.timed_out ? "timeout" : r.error);
  return std::string{step} + ": HTTP " + std::to_string(r.status) + " " + snippet(r.body);
}

// Graph answers an unknown or expired media id with 404 or with 400, code 100, subcode 33.
bool graph_not_found(const edge::client_response& r) {
  if (r.status == 404) return true;
  if (r.status != 400) return false;
  std::string err;
  auto top = common::parse_object(r.body, err);
  if (!top || top->others.count("error") == 0) return false;
  auto e = common::parse_object(top->others.at("error"), err);
  if (!e) return false;
  auto code = e->others.find("code");
  auto sub = e->others.find("error_subcode");
  return code != e->others.end() && code->second == "100" && sub != e->others.end() &&
         sub->second == "33";
}

bool valid_media_id(const std::string& id) {
  if (id.empty() || id.size() > 256 || id == "." || id == "..") return false;
  for (unsigned char c : id)
    if (!(std::isalnum(c) || c == '_' || c == '-' || c == '.')) return false;
  return true;
}

std::string shown_mime(const job& j) {
  if (!j.res.mime_type.empty() && j.res.mime_type != "application/octet-stream")
    return j.res.mime_type;
  auto declared = mime_essence(j.req.media.mime_type);
  return declared.empty() ? mime_essence(j.meta_mime) : declared;
}

std::string failure_reason(const job& j, media_errc e) {
  switch (e) {
    case media_errc::not_found:
      return "the media expired or is unknown";
    case media_errc::too_large:
      return "too large (" + human_size(j.res.size) + ", limit " + human_size(j.limit) + ")";
    case media_errc::hash_mismatch:
      return "the download failed its integrity check";
    case media_errc::download_failed:
      return "the download failed";
    case media_errc::provider_down:
      return "a provider is down";
    case media_errc::unsupported:
      return "unsupported media";
    case media_errc::store_failed:
      return "it could not be stored";
    case media_errc::none:
      break;
  }
  return "unknown error";
}

void complete(const job_ptr& j) {
  if (j->finished.exchange(true)) return;
  auto done = std::move(j->done);
  if (done) done(std::move(j->res));
}

void fail(const job_ptr& j, media_errc e, std::string text) {
  j->res.error = e;
  j->res.error_text = std::move(text);
  auto mime = shown_mime(*j);
  j->res.description = media_label(j->req.type, j->req.media.voice, j->req.media.filename) +
                       (mime.empty() ? "" : " (" + mime + ")") +
                       "; not processed: " + failure_reason(*j, e);
  j->res.path.clear();  // a failed media never points at a file
  complete(j);
}

std::string trim_slash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

std::size_t parse_size(const common::json_fields& f, const char* key) {
  const std::string* v = f.get(key);
  auto other = f.others.find(key);
  if (v == nullptr && other != f.others.end()) v = &other->second;
  if (v == nullptr || v->empty() || !std::isdigit(static_cast<unsigned char>((*v)[0]))) return 0;
  return static_cast<std::size_t>(std::strtoull(v->c_str(), nullptr, 10));
}

// Whisper-style providers pick the decoder from the file name's extension.
std::string audio_filename(std::string_view mime) {
  if (mime == "audio/mpeg") return "audio.mp3";
  if (mime == "audio/mp4" || mime == "audio/x-m4a" || mime == "audio/aac") return "audio.m4a";
  if (mime == "audio/wav" || mime == "audio/x-wav") return "audio.wav";
  if (mime == "audio/webm") return "audio.webm";
  if (mime == "audio/amr") return "audio.amr";
  return "audio.ogg";  // WhatsApp voice notes: OGG/Opus
}

std::string random_boundary() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  static constexpr char hex[] = "0123456789abcdef";
  std::string b = "parley-";
  for (int i = 0; i < 32; ++i) b += hex[rng() & 15];
  return b;
}

}  // namespace

struct media_pipeline::core {
  core(edge::http_client& h, media_settings s)
      : http(h), settings(std::move(s)), store(settings.data_dir), workers(settings.workers) {}

  edge::http_client& http;
  media_settings settings;
  content_store store;
  worker_pool workers;
  std::atomic<bool> stopped{false};
};

namespace {

using core_ptr = std::shared_ptr<media_pipeline::core>;

void fetch_metadata(const core_ptr& c, const job_ptr& j);

/// Runs `step` on a worker; when the pipeline is gone the job ends as "stopped" instead.
void on_worker(const core_ptr& c, const job_ptr& j, std::function<void()> step) {
  auto guarded = [j, step = std::move(step)] {
    try {
      step();
    } catch (const std::exception& e) {
      fail(j, media_errc::store_failed, std::string{"internal error: "} + e.what());
    } catch (...) {
      fail(j, media_errc::store_failed, "internal error");
    }
  };
  if (!c->workers.post(guarded)) fail(j, media_errc::download_failed, "stopped");
}

edge::client_request graph_get(const core_ptr& c, const job_ptr& j, std::string url) {
  edge::client_request req;
  req.method = "GET";
  req.url = std::move(url);
  req.headers = {{"Authorization", "Bearer " + j->req.access_token}};
  req.timeout = c->settings.timeout;
  return req;
}

void on_transcription(const core_ptr& c, const job_ptr& j, const edge::client_response& r) {
  std::string err;
  auto body = r.status >= 200 && r.status < 300 ? common::parse_object(r.body, err) : std::nullopt;
  const std::string* text = body ? body->get("text") : nullptr;
  if (text == nullptr) {
    j->res.description += "; transcription failed";
    j->res.error_text = "transcription failed: " +
                        (body ? std::string{"no text in the answer"} : http_failure("provider", r));
    return complete(j);
  }
  j->res.extracted_text = clean_text(*text, c->settings.limits.max_text_chars);
  auto line = one_line(j->res.extracted_text, 200);
  j->res.description += line.empty() ? "; no speech recognised" : ", transcript: \"" + line + "\"";
  complete(j);
}

void transcribe(const core_ptr& c, const job_ptr& j, const std::string& bytes) {
  const auto& s = c->settings;
  auto mime = shown_mime(*j);
  if (mime.empty()) mime = "application/octet-stream";
  auto boundary = random_boundary();
  std::string body;
  body.reserve(bytes.size() + 512);
  body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" +
          s.transcription_model + "\r\n";
  body += "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" +
          audio_filename(mime) + "\"\r\nContent-Type: " + mime + "\r\n\r\n";
  body += bytes;
  body += "\r\n--" + boundary + "--\r\n";

  edge::client_request req;
  req.method = "POST";
  req.url = trim_slash(s.transcription_base_url) + "/v1/audio/transcriptions";
  req.headers = {{"Content-Type", "multipart/form-data; boundary=" + boundary}};
  if (!s.transcription_api_key.empty())
    req.headers.emplace_back("Authorization", "Bearer " + s.transcription_api_key);
  req.body = std::move(body);
  req.timeout = s.timeout;
  c->http.request(std::move(req), [c, j](edge::client_response r) {
    try {
      on_transcription(c, j, r);
    } catch (...) {
      j->res.error_text = "transcription failed: internal error";
      complete(j);
    }
  });
}

// On a worker: everything that touches all the bytes or may take long.
void finish_bytes(const core_ptr& c, const job_ptr& j, const std::string& bytes) {
  auto& res = j->res;
  res.size = bytes.size();
  res.mime_type = sniff_mime(bytes);
  const auto& expected = j->req.media.sha256.empty() ? j->meta_sha256 : j->req.media.sha256;
  if (!expected.empty() && !common::sha256_matches(bytes, expected))
    return fail(j, media_errc::hash_mismatch,
                "sha256 of the downloaded bytes does not match " + expected);
  res.sha256_hex = common::sha256_hex(bytes);
  auto stored = c->store.put(bytes, res.sha256_hex);
  if (!stored.error.empty()) return fail(j, media_errc::store_failed, stored.error);
  res.path = stored.path;

  describe_input in;
  in.type = j->req.type;
  in.sniffed_mime = res.mime_type;
  in.declared_mime = j->req.media.mime_type.empty() ? j->meta_mime : j->req.media.mime_type;
  in.filename = j->req.media.filename;
  in.voice = j->req.media.voice;
  in.bytes = bytes;
  in.max_text_chars = c->settings.limits.max_text_chars;
  auto d = describe(in);
  res.description = std::move(d.line);
  res.extracted_text = std::move(d.extracted_text);

  if (j->req.type == "audio") {
    if (!c->settings.transcription_base_url.empty()) return transcribe(c, j, bytes);
    res.description += "; no transcription provider configured";
  }
  complete(j);
}

void on_download(const core_ptr& c, const job_ptr& j, edge::client_response r) {
  if (c->stopped) return fail(j, media_errc::download_failed, "stopped");
  if (r.status == 404 && !j->refreshed) {  // the URL lives 5 minutes: get a fresh one, once
    j->refreshed = true;
    return fetch_metadata(c, j);
  }
  if (r.status == 404) return fail(j, media_errc::not_found, http_failure("media download", r));
  if (r.status == 0 && r.error.find("body limit") != std::string::npos)
    return fail(j, media_errc::too_large, "media download: larger than the HTTP client's limit");
  if (r.status < 200 || r.status >= 300)
    return fail(j, media_errc::download_failed, http_failure("media download", r));
  if (r.body.size() > j->limit) {
    j->res.size = r.body.size();
    return fail(j, media_errc::too_large,
                "downloaded " + std::to_string(r.body.size()) + " bytes, limit " +
                    std::to_string(j->limit) + " for " + j->req.type);
  }
  auto bytes = std::make_shared<std::string>(std::move(r.body));
  on_worker(c, j, [c, j, bytes] { finish_bytes(c, j, *bytes); });
}

void on_metadata(const core_ptr& c, const job_ptr& j, const edge::client_response& r) {
  if (c->stopped) return fail(j, media_errc::download_failed, "stopped");
  if (graph_not_found(r))
    return fail(j, media_errc::not_found,
                "media " + j->req.media.id + " not found or expired (HTTP " +
                    std::to_string(r.status) + ")");
  if (r.status < 200 || r.status >= 300)
    return fail(j, media_errc::download_failed, http_failure("media metadata", r));
  std::string err;
  auto meta = common::parse_object(r.body, err);
  const std::string* url = meta ? meta->get("url") : nullptr;
  if (url == nullptr || !edge::parse_url(*url))
    return fail(j, media_errc::download_failed, "media metadata: no usable url");
  if (auto v = meta->get("sha256")) j->meta_sha256 = *v;
  if (auto v = meta->get("mime_type")) j->meta_mime = *v;
  j->announced_size = parse_size(*meta, "file_size");
  if (j->announced_size > j->limit) {
    j->res.size = j->announced_size;
    return fail(j, media_errc::too_large,
                "announced " + std::to_string(j->announced_size) + " bytes, limit " +
                    std::to_string(j->limit) + " for " + j->req.type);
  }
  c->http.request(graph_get(c, j, *url), [c, j](edge::client_response r) {
    try {
      on_download(c, j, std::move(r));
    } catch (const std::exception& e) {
      fail(j, media_errc::download_failed, std::string{"internal error: "} + e.what());
    }
  });
}

void fetch_metadata(const core_ptr& c, const job_ptr& j) {
  auto base = trim_slash(j->req.api_base_url);
  auto url = j->req.api_version.empty() ? base + "/" + j->req.media.id
                                        : base + "/" + j->req.api_version + "/" + j->req.media.id;
  c->http.request(graph_get(c, j, std::move(url)), [c, j](edge::client_response r) {
    try {
      on_metadata(c, j, r);
    } catch (const std::exception& e) {
      fail(j, media_errc::download_failed, std::string{"internal error: "} + e.what());
    }
  });
}

}  // namespace

std::size_t limit_for(const media_limits& l, std::string_view type) {
  if (type == "image") return l.image;
  if (type == "audio") return l.audio;
  if (type == "video") return l.video;
  if (type == "document") return l.document;
  if (type == "sticker") return l.sticker;
  return 0;
}

std::string to_string(media_errc e) {
  switch (e) {
    case media_errc::none:
      return "none";
    case media_errc::not_found:
      return "not_found";
    case media_errc::too_large:
      return "too_large";
    case media_errc::hash_mismatch:
      return "hash_mismatch";
    case media_errc::download_failed:
      return "download_failed";
    case media_errc::provider_down:
      return "provider_down";
    case media_errc::unsupported:
      return "unsupported";
    case media_errc::store_failed:
      return "store_failed";
  }
  return "unknown";
}

media_pipeline::media_pipeline(edge::http_client& http, media_settings s)
    : core_(std::make_shared<core>(http, std::move(s))) {}

media_pipeline::~media_pipeline() {
  core_->stopped = true;
  core_->workers.stop();
}

void media_pipeline::process(media_request r, std::function<void(media_result)> done) {
  auto j = std::make_shared<job>();
  j->req = std::move(r);
  j->done = std::move(done);
  j->limit = limit_for(core_->settings.limits, j->req.type);
  // Early failures still complete on a worker, never inside the caller's process() call.
  auto reject = [&](media_errc e, std::string text) {
    auto c = core_;
    on_worker(c, j, [j, e, text = std::move(text)] { fail(j, e, text); });
  };
  if (j->limit == 0)
    return reject(media_errc::unsupported, "unsupported media type '" + j->req.type + "'");
  if (!valid_media_id(j->req.media.id))
    return reject(media_errc::unsupported, "invalid media id '" + j->req.media.id + "'");
  if (j->req.api_base_url.empty())
    return reject(media_errc::download_failed, "the channel has no api_base_url");
  if (core_->stopped) return fail(j, media_errc::download_failed, "stopped");
  fetch_metadata(core_, j);
}

}  // namespace parley::media
