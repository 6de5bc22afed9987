#include "actors/media/describe.hpp"

#include <magic.h>
#include <poppler-document.h>
#include <poppler-global.h>
#include <poppler-page.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <mutex>
#include <vector>

namespace parley::media {

namespace {

constexpr std::size_t sniff_bytes = 1u << 20;  // libmagic needs the head only
constexpr int max_pages_read = 1000;

// ---------------------------------------------------------------------------------------------
// libmagic: a cookie is not thread-safe, so each thread gets its own, closed when it ends.

struct magic_cookie {
  magic_t m = nullptr;
  magic_cookie() {
    // No decompression: a zip bomb must not be expanded just to name its type.
    m = ::magic_open(MAGIC_MIME_TYPE | MAGIC_NO_CHECK_COMPRESS | MAGIC_ERROR);
    if (m != nullptr && ::magic_load(m, nullptr) != 0) {
      ::magic_close(m);
      m = nullptr;
    }
  }
  ~magic_cookie() {
    if (m != nullptr) ::magic_close(m);
  }
  magic_cookie(const magic_cookie&) = delete;
  magic_cookie& operator=(const magic_cookie&) = delete;
};

bool starts_with(std::string_view s, std::string_view p) {
  return s.size() >= p.size() && s.compare(0, p.size(), p) == 0;
}

// When the magic database is missing the common WhatsApp types are still recognised.
std::string builtin_sniff(std::string_view b) {
  if (starts_with(b, "\x89PNG\r\n\x1a\n")) return "image/png";
  if (starts_with(b, "\xff\xd8\xff")) return "image/jpeg";
  if (starts_with(b, "GIF8")) return "image/gif";
  if (b.size() >= 12 && starts_with(b, "RIFF") && b.substr(8, 4) == "WEBP") return "image/webp";
  if (starts_with(b, "%PDF-")) return "application/pdf";
  if (starts_with(b, "OggS")) return "audio/ogg";
  return "application/octet-stream";
}

// ---------------------------------------------------------------------------------------------
// image headers: bounds-checked reads only

uint32_t be16(std::string_view b, std::size_t at) {
  return (uint32_t(uint8_t(b[at])) << 8) | uint8_t(b[at + 1]);
}
uint32_t be32(std::string_view b, std::size_t at) {
  return (be16(b, at) << 16) | be16(b, at + 2);
}
uint32_t le16(std::string_view b, std::size_t at) {
  return uint8_t(b[at]) | (uint32_t(uint8_t(b[at + 1])) << 8);
}
uint32_t le24(std::string_view b, std::size_t at) {
  return le16(b, at) | (uint32_t(uint8_t(b[at + 2])) << 16);
}
uint32_t le32(std::string_view b, std::size_t at) {
  return le16(b, at) | (le16(b, at + 2) << 16);
}

std::optional<image_info> png_header(std::string_view b) {
  if (b.size() < 24 || b.substr(12, 4) != "IHDR") return std::nullopt;
  return image_info{"png", be32(b, 16), be32(b, 20), false};
}

std::optional<image_info> gif_header(std::string_view b) {
  if (b.size() < 10) return std::nullopt;
  return image_info{"gif", le16(b, 6), le16(b, 8), false};
}

std::optional<image_info> jpeg_header(std::string_view b) {
  std::size_t at = 2;
  while (at + 4 <= b.size()) {
    if (uint8_t(b[at]) != 0xFF) return std::nullopt;
    uint8_t marker = uint8_t(b[at + 1]);
    if (marker == 0xFF) {  // fill byte
      ++at;
      continue;
    }
    if (marker == 0x01 || (marker >= 0xD0 && marker <= 0xD8)) {  // no length
      at += 2;
      continue;
    }
    if (marker == 0xD9 || marker == 0xDA) return std::nullopt;  // image data before any SOF
    std::size_t len = be16(b, at + 2);
    if (len < 2) return std::nullopt;
    bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (len < 7 || at + 9 > b.size()) return std::nullopt;
      return image_info{"jpeg", be16(b, at + 7), be16(b, at + 5), false};
    }
    at += 2 + len;
  }
  return std::nullopt;
}

std::optional<image_info> webp_header(std::string_view b) {
  if (b.size() < 30) return std::nullopt;
  auto chunk = b.substr(12, 4);
  if (chunk == "VP8X") {
    bool animated = (uint8_t(b[20]) & 0x02) != 0;
    return image_info{"webp", le24(b, 24) + 1, le24(b, 27) + 1, animated};
  }
  if (chunk == "VP8L") {
    if (uint8_t(b[20]) != 0x2F) return std::nullopt;
    uint32_t bits = le32(b, 21);
    return image_info{"webp", (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1, false};
  }
  if (chunk == "VP8 ") {
    if (b.substr(23, 3) != "\x9d\x01\x2a") return std::nullopt;
    return image_info{"webp", le16(b, 26) & 0x3FFF, le16(b, 28) & 0x3FFF, false};
  }
  return std::nullopt;
}

// ---------------------------------------------------------------------------------------------
// UTF-8

void put_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += char(cp);
  } else if (cp < 0x800) {
    out += char(0xC0 | (cp >> 6));
    out += char(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += char(0xE0 | (cp >> 12));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  } else {
    out += char(0xF0 | (cp >> 18));
    out += char(0x80 | ((cp >> 12) & 0x3F));
    out += char(0x80 | ((cp >> 6) & 0x3F));
    out += char(0x80 | (cp & 0x3F));
  }
}

/// Decodes one strict UTF-8 sequence at b[at]; returns its length, 0 when invalid.
std::size_t next_utf8(std::string_view b, std::size_t at, uint32_t& cp) {
  auto c = uint8_t(b[at]);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len == 0 || c > 0xF4 || at + len > b.size()) return 0;
  cp = c & (0xFF >> (len + 1));
  for (std::size_t i = 1; i < len; ++i) {
    auto k = uint8_t(b[at + i]);
    if ((k & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (k & 0x3F);
  }
  static constexpr uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return len;
}

/// Appends a text code point unless it is a control character a database or a prompt should
/// not see; returns whether it counted towards the limit.
bool append_text(std::string& out, uint32_t cp) {
  if (cp == '\f' || cp == '\v') cp = '\n';
  if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') || cp == 0x7F || cp == 0xFEFF)
    return false;
  put_utf8(out, cp);
  return true;
}

std::string decode_utf16(std::string_view b, bool little, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t at = 0; at + 1 < b.size() && chars < max_chars; at += 2) {
    uint32_t u = little ? le16(b, at) : be16(b, at);
    if (u >= 0xD800 && u <= 0xDBFF && at + 3 < b.size()) {
      uint32_t lo = little ? le16(b, at + 2) : be16(b, at + 2);
      if (lo >= 0xDC00 && lo <= 0xDFFF) {
        u = 0x10000 + ((u - 0xD800) << 10) + (lo - 0xDC00);
        at += 2;
      }
    }
    if (u >= 0xD800 && u <= 0xDFFF) u = 0xFFFD;
    if (append_text(out, u)) ++chars;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// poppler

void quiet_poppler(const std::string&, void*) {}  // its errors go to stderr otherwise

std::mutex& poppler_mutex() {
  static std::mutex m;  // poppler's global state is not safe across threads
  return m;
}

bool is_text_mime(std::string_view m) {
  return starts_with(m, "text/") || m == "application/json" || m == "application/xml" ||
         m == "application/csv";
}

std::string plural(int n, const char* word) {
  return std::to_string(n) + " " + word + (n == 1 ? "" : "s");
}

constexpr std::size_t description_chars = 200;

description describe_document(const describe_input& in, const std::string& head,
                              const std::string& mime) {
  description d;
  auto size = human_size(in.bytes.size());
  if (mime == "application/pdf") {
    auto pdf = extract_pdf(in.bytes, in.max_text_chars);
    if (!pdf.opened) {
      d.line = head + " (" + mime + ", " + size + "); not a readable PDF";
    } else if (pdf.locked) {
      d.line = head + " (" + mime + ", " + plural(pdf.pages, "page") + "); password protected";
    } else {
      d.line = head + " (" + mime + ", " + plural(pdf.pages, "page") + ")";
      auto line = one_line(pdf.text, description_chars);
      d.line += line.empty() ? "; no text layer (scanned?)" : ": " + line;
      d.extracted_text = std::move(pdf.text);
    }
    return d;
  }
  // Declared text that libmagic calls binary is not read: it would only give mojibake.
  if (is_text_mime(in.sniffed_mime)) {
    d.extracted_text = clean_text(in.bytes, in.max_text_chars);
    d.line = head + " (" + mime + ", " + size + ")";
    auto line = one_line(d.extracted_text, description_chars);
    d.line += line.empty() ? "; empty" : ": " + line;
    return d;
  }
  d.line = head + " (" + mime + ", " + size + ")" +
           (is_text_mime(mime) ? "; no text could be extracted"
                               : "; text extraction not supported for this type");
  return d;
}

}  // namespace

std::string sniff_mime(std::string_view bytes) {
  if (bytes.empty()) return "application/octet-stream";
  auto head = bytes.substr(0, sniff_bytes);
  thread_local magic_cookie cookie;
  if (cookie.m != nullptr) {
    const char* type = ::magic_buffer(cookie.m, head.data(), head.size());
    if (type != nullptr && *type != '\0') return type;
  }
  return builtin_sniff(head);
}

std::optional<image_info> read_image_header(std::string_view b) {
  if (starts_with(b, "\x89PNG\r\n\x1a\n")) return png_header(b);
  if (starts_with(b, "\xff\xd8")) return jpeg_header(b);
  if (starts_with(b, "GIF87a") || starts_with(b, "GIF89a")) return gif_header(b);
  if (b.size() >= 12 && starts_with(b, "RIFF") && b.substr(8, 4) == "WEBP") return webp_header(b);
  return std::nullopt;
}

pdf_text extract_pdf(std::string_view bytes, std::size_t max_chars) {
  pdf_text out;
  if (bytes.empty() || bytes.size() > std::size_t(INT32_MAX)) return out;
  std::lock_guard<std::mutex> g{poppler_mutex()};
  static std::once_flag quiet;
  std::call_once(quiet, [] { poppler::set_debug_error_function(quiet_poppler, nullptr); });
  try {
    // load_from_raw_data does not copy: `bytes` outlives `doc`.
    std::unique_ptr<poppler::document> doc{
        poppler::document::load_from_raw_data(bytes.data(), int(bytes.size()))};
    if (!doc) return out;
    out.opened = true;
    out.pages = doc->pages();
    if (doc->is_locked()) {
      out.locked = true;
      return out;
    }
    std::string raw;
    // Bounded work on huge scans: enough text, or enough pages looked at, ends the loop.
    for (int i = 0; i < out.pages && i < max_pages_read && raw.size() / 4 < max_chars; ++i) {
      std::unique_ptr<poppler::page> page{doc->create_page(i)};
      if (!page) continue;
      auto utf8 = page->text().to_utf8();
      if (!raw.empty()) raw += '\n';
      raw.append(utf8.begin(), utf8.end());
    }
    out.text = clean_text(raw, max_chars);
  } catch (...) {
    out.text.clear();
  }
  return out;
}

std::string clean_text(std::string_view b, std::size_t max_chars) {
  if (starts_with(b, "\xff\xfe")) return decode_utf16(b.substr(2), true, max_chars);
  if (starts_with(b, "\xfe\xff")) return decode_utf16(b.substr(2), false, max_chars);
  if (starts_with(b, "\xef\xbb\xbf")) b.remove_prefix(3);

  std::string out;
  std::size_t chars = 0, invalid = 0, multibyte = 0;
  for (std::size_t at = 0; at < b.size() && chars < max_chars;) {
    uint32_t cp = 0;
    auto len = next_utf8(b, at, cp);
    if (len == 0) {
      ++invalid;
      cp = 0xFFFD;
      len = 1;
    } else if (len > 1) {
      ++multibyte;
    }
    if (append_text(out, cp)) ++chars;
    at += len;
  }
  if (invalid == 0 || multibyte > 0) return out;  // UTF-8, possibly with a stray bad byte
  // Not one valid multibyte sequence but high bytes: a single-byte encoding, read as Latin-1.
  out.clear();
  chars = 0;
  for (std::size_t at = 0; at < b.size() && chars < max_chars; ++at)
    if (append_text(out, uint8_t(b[at]))) ++chars;
  return out;
}

std::string one_line(std::string_view s, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  bool space = false;
  for (std::size_t at = 0; at < s.size();) {
    uint32_t cp = 0;
    auto len = next_utf8(s, at, cp);
    if (len == 0) {  // callers pass valid UTF-8; never emit a broken sequence anyway
      cp = 0xFFFD;
      len = 1;
    }
    at += len;
    if (cp == ' ' || cp == '\t' || cp == '\n' || cp == '\r' || cp == '\f' || cp == '\v' ||
        cp == 0xA0) {
      space = !out.empty();
      continue;
    }
    if (cp < 0x20 || cp == 0x7F) continue;
    if (chars + (space ? 1 : 0) >= max_chars) {
      out += "…";
      return out;
    }
    if (space) {
      out += ' ';
      ++chars;
      space = false;
    }
    put_utf8(out, cp);
    ++chars;
  }
  return out;
}

std::string mime_essence(std::string_view mime) {
  auto end = mime.find(';');
  auto t = mime.substr(0, end);
  while (!t.empty() && (t.front() == ' ' || t.front() == '\t')) t.remove_prefix(1);
  while (!t.empty() && (t.back() == ' ' || t.back() == '\t')) t.remove_suffix(1);
  std::string out;
  for (char c : t) {
    auto u = static_cast<unsigned char>(c);
    if (u <= 0x20 || u >= 0x7F) return {};  // not a MIME type: show nothing rather than junk
    out += char(std::tolower(u));
  }
  return out;
}

std::string human_size(std::size_t bytes) {
  if (bytes < 1024) return std::to_string(bytes) + " B";
  if (bytes < 1024 * 1024) return std::to_string((bytes + 512) / 1024) + " KB";
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", double(bytes) / (1024.0 * 1024.0));
  return buf;
}

std::string media_label(std::string_view type, bool voice, std::string_view filename) {
  if (type == "image") return "Image";
  if (type == "audio") return voice ? "Voice message" : "Audio";
  if (type == "video") return "Video";
  if (type == "sticker") return "Sticker";
  if (type == "document") {
    auto name = one_line(filename, 120);
    return name.empty() ? "Document" : "Document " + name;
  }
  return "Media";
}

description describe(const describe_input& in) {
  // A generic sniff (random or unknown bytes) says less than what the sender declared.
  auto mime = mime_essence(in.sniffed_mime);
  auto declared = mime_essence(in.declared_mime);
  if ((mime.empty() || mime == "application/octet-stream") && !declared.empty()) mime = declared;
  if (mime.empty()) mime = "application/octet-stream";
  auto head = media_label(in.type, in.voice, in.filename);
  auto size = human_size(in.bytes.size());

  if (in.type == "document") return describe_document(in, head, mime);
  description d;
  if (in.type == "image" || in.type == "sticker") {
    auto img = read_image_header(in.bytes);
    if (img && img->width > 0 && img->height > 0) {
      d.line = head + " (" + mime + ", " + std::to_string(img->width) + "x" +
               std::to_string(img->height) + (img->animated ? ", animated" : "") + ")";
    } else {
      d.line = head + " (" + mime + ", " + size + "); dimensions unknown";
    }
    return d;
  }
  d.line = head + " (" + mime + ", " + size + ")";
  return d;
}

}  // namespace parley::media
