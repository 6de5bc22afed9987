#pragma once
// The inbound media pipeline: Graph API metadata -> download -> sha256 check -> MIME sniff ->
// content store -> description (document text, image size, voice transcription).
//
// Owned by a tenant's media actor (one pipeline per tenant or per node; no CAF in here).
// process() may be called from any thread and never blocks: HTTP runs on the http_client's
// threads, hashing, libmagic, the store and poppler on worker threads owned by the pipeline.
// `done` runs exactly once, on one of those threads, and must not block. The http_client must
// outlive the pipeline.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "logic/inbound_message.hpp"

namespace parley::edge {
class http_client;
}

namespace parley::media {

struct media_limits {
  std::size_t image = 5u << 20, audio = 16u << 20, video = 16u << 20, document = 100u << 20,
              sticker = 500u << 10;
  std::size_t max_text_chars = 20000;  ///< extracted text and transcriptions are cut here
};

/// The byte limit for a WhatsApp media type; 0 for a type the pipeline does not handle.
[[nodiscard]] std::size_t limit_for(const media_limits& l, std::string_view type);

struct media_settings {
  std::string data_dir;  ///< node-local; files go under data_dir/media
  media_limits limits;
  /// OpenAI-compatible provider, without "/v1" (POST {base}/v1/audio/transcriptions); empty: no
  /// transcription.
  std::string transcription_base_url;
  std::string transcription_api_key;
  std::string transcription_model = "whisper-1";
  std::chrono::milliseconds timeout{30000};  ///< per HTTP exchange
  int workers = 1;                           ///< threads for hashing, sniffing, storing, parsing
};

struct media_request {
  std::string tenant_id;
  int64_t message_id = 0;
  std::string type;              ///< image, audio, video, document, sticker
  logic::media_reference media;  ///< its sha256 is base64 from the webhook, may be empty
  std::string caption;
  std::string api_base_url, api_version, access_token;  ///< the channel's
};

enum class media_errc {
  none,
  not_found,        ///< the media id is unknown or expired (Graph 404, or 400 code 100)
  too_large,        ///< announced or actual size over the type's limit
  hash_mismatch,    ///< bytes differ from the announced sha256; nothing stored
  download_failed,  ///< Graph API unreachable, timed out, refused the token, 5xx, ...
  provider_down,    ///< reserved: transcription failures do not fail the media (see process)
  unsupported,      ///< unknown media type or a media id that cannot be part of a URL
  store_failed      ///< the file could not be written
};
[[nodiscard]] std::string to_string(media_errc e);

struct media_result {
  media_errc error = media_errc::none;
  std::string error_text;  ///< why, when error != none; a transcription failure also lands here
  std::string sha256_hex, mime_type /* sniffed */, path;
  std::size_t size = 0;
  /// One line for the conversation's context, also on failure, e.g. "Image (image/png,
  /// 800x600)", "Document invoice.pdf (application/pdf, 2 pages): <first ~200 chars>",
  /// "Image (image/jpeg); not processed: too large (9.5 MB, limit 5.0 MB)".
  std::string description;
  std::string extracted_text;  ///< documents: the text; audio: the transcription
};

class media_pipeline {
 public:
  media_pipeline(edge::http_client& http, media_settings s);
  ~media_pipeline();  ///< finishes queued work (each `done` still runs once), joins the workers
  media_pipeline(const media_pipeline&) = delete;
  media_pipeline& operator=(const media_pipeline&) = delete;

  /// Steps: GET {api_base_url}/{api_version}/{media_id} (Bearer) for {url, file_size, sha256};
  /// too_large without downloading when file_size is over the limit; GET {url} (a 404 there
  /// means the URL expired: one fresh metadata fetch and retry); the body's size is checked
  /// again; sha256 verified (the webhook's if given, else the metadata's); MIME sniffed; stored;
  /// described. Audio is transcribed when a provider is configured; a provider failure keeps
  /// error == none (the file is stored and usable) with error_text "transcription failed: ...".
  /// After the pipeline is destroyed, late HTTP completions end with download_failed "stopped".
  void process(media_request r, std::function<void(media_result)> done);

  struct core;  // public so the .cpp's free functions can name it

 private:
  std::shared_ptr<core> core_;
};

}  // namespace parley::media
