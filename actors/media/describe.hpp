#pragma once
// Turning stored media bytes into words for a conversation: the real MIME type (libmagic),
// image dimensions (own header parsers), document text (poppler for PDF, text/* as is) and a
// one-line description.
//
// Used by media_pipeline on its worker threads (PDF parsing can take a while, it must stay off
// the HTTP client's threads). Every function is thread-safe (one libmagic cookie per thread,
// poppler calls serialised), never throws and accepts any bytes: garbage, truncated files,
// encrypted PDFs.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace parley::media {

/// MIME type of the bytes per libmagic (first MB only; no decompression), e.g. "image/png";
/// "application/octet-stream" when unknown or empty.
[[nodiscard]] std::string sniff_mime(std::string_view bytes);

struct image_info {
  std::string format;  ///< png, jpeg, gif, webp
  uint32_t width = 0, height = 0;
  bool animated = false;  ///< WebP with the animation flag, GIF with more than one frame
};
/// Reads only the header; nullopt for unknown formats or truncated headers.
[[nodiscard]] std::optional<image_info> read_image_header(std::string_view bytes);

struct pdf_text {
  bool opened = false;  ///< poppler could parse it
  bool locked = false;  ///< password protected: no text
  int pages = 0;
  std::string text;  ///< valid UTF-8, at most max_chars code points
};
[[nodiscard]] pdf_text extract_pdf(std::string_view bytes, std::size_t max_chars);

/// Text file bytes as valid UTF-8 without NULs: BOM dropped, UTF-16 with a BOM decoded, invalid
/// UTF-8 read as Latin-1 (what a Windows export usually is); cut at max_chars code points.
[[nodiscard]] std::string clean_text(std::string_view bytes, std::size_t max_chars);
/// `utf8` on one line: whitespace runs become one space; cut at max_chars code points with "…".
[[nodiscard]] std::string one_line(std::string_view utf8, std::size_t max_chars);
/// "audio/ogg" for "Audio/OGG; codecs=opus": the type without parameters, lower-case.
[[nodiscard]] std::string mime_essence(std::string_view mime);
/// "512 B", "12 KB", "3.4 MB".
[[nodiscard]] std::string human_size(std::size_t bytes);
/// "Image", "Voice message", "Audio", "Video", "Sticker", "Document invoice.pdf".
[[nodiscard]] std::string media_label(std::string_view type, bool voice, std::string_view filename);

struct describe_input {
  std::string type;  ///< image, audio, video, document, sticker
  std::string sniffed_mime, declared_mime;
  std::string filename;
  bool voice = false;
  std::string_view bytes;
  std::size_t max_text_chars = 20000;
};
struct description {
  std::string line;            ///< e.g. "Image (image/png, 800x600)"
  std::string extracted_text;  ///< documents only
};
/// The MIME type shown is the sniffed one, or the declared one when the sniff is generic
/// (application/octet-stream). Only bytes sniffed as text are read as text; PDF parsing is tried
/// when either says PDF. Audio gives only "Voice message (audio/ogg, 12 KB)": the pipeline adds the
/// transcription or a note. The caption is not repeated (the message's text already carries it).
[[nodiscard]] description describe(const describe_input& in);

}  // namespace parley::media
