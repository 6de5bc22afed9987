// WhatsApp messages out: the Cloud API request bodies parley sends, the answers it gets back
// and how failures are classified for retries; replies split into bubbles.
#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "channels/whatsapp.hpp"
#include "channels/whatsapp_json.hpp"
#include "common/json_writer.hpp"

namespace parley::channels::whatsapp {
namespace {

namespace dom = simdjson::dom;
using namespace json_read;

// ---------------------------------------------------------------------------------------------
// UTF-8.

// Length of the well-formed UTF-8 sequence at s[i] (no overlongs, surrogates or code points above
// U+10FFFF), or 0 when the bytes there are not one.
[[nodiscard]] std::size_t utf8_len(std::string_view s, std::size_t i, char32_t& cp) {
  auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) {
    cp = c;
    return 1;
  }
  std::size_t n = 0;
  char32_t min = 0;
  if ((c & 0xE0) == 0xC0) {
    n = 2, cp = c & 0x1F, min = 0x80;
  } else if ((c & 0xF0) == 0xE0) {
    n = 3, cp = c & 0x0F, min = 0x800;
  } else if ((c & 0xF8) == 0xF0) {
    n = 4, cp = c & 0x07, min = 0x10000;
  } else {
    return 0;
  }
  if (i + n > s.size()) return 0;
  for (std::size_t k = 1; k < n; ++k) {
    auto b = static_cast<unsigned char>(s[i + k]);
    if ((b & 0xC0) != 0x80) return 0;
    cp = (cp << 6) | (b & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return 0;
  return n;
}

constexpr char32_t kInvalid = 0xFFFFFFFF;

// One character: a valid sequence, or a single invalid byte (so nothing is ever lost).
[[nodiscard]] std::size_t next_char(std::string_view s, std::size_t i, char32_t& cp) {
  std::size_t n = utf8_len(s, i, cp);
  if (n > 0) return n;
  cp = kInvalid;
  return 1;
}

[[nodiscard]] std::string valid_utf8(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (std::size_t i = 0; i < s.size();) {
    char32_t cp = 0;
    std::size_t n = next_char(s, i, cp);
    if (cp == kInvalid) {
      out += "\xEF\xBF\xBD";
    } else {
      out.append(s, i, n);
    }
    i += n;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Bubbles.

[[nodiscard]] bool space(char32_t c) {
  return c == ' ' || (c >= '\t' && c <= '\r');
}

[[nodiscard]] bool sentence_end(char32_t c) {
  return c == '.' || c == '!' || c == '?' || c == 0x2026;
}

// Full-width enders need no following space.
[[nodiscard]] bool cjk_sentence_end(char32_t c) {
  return c == 0x3002 || c == 0xFF01 || c == 0xFF1F;
}

[[nodiscard]] bool closing(char32_t c) {
  return c == '"' || c == '\'' || c == ')' || c == ']' || c == 0xBB || c == 0x201D || c == 0x2019;
}

// Code points that belong to the character before them (combining marks, variation selectors,
// emoji skin tones, tags, ZWJ): a hard cut must not separate them from their base.
[[nodiscard]] bool extends(char32_t c) {
  return (c >= 0x0300 && c <= 0x036F) || (c >= 0x1AB0 && c <= 0x1AFF) ||
         (c >= 0x1DC0 && c <= 0x1DFF) || (c >= 0x20D0 && c <= 0x20FF) ||
         (c >= 0xFE00 && c <= 0xFE0F) || (c >= 0xFE20 && c <= 0xFE2F) || c == 0x200D ||
         (c >= 0x1F3FB && c <= 0x1F3FF) || (c >= 0xE0020 && c <= 0xE007F) ||
         (c >= 0xE0100 && c <= 0xE01EF);
}

[[nodiscard]] bool regional(char32_t c) {
  return c >= 0x1F1E6 && c <= 0x1F1FF;
}

[[nodiscard]] std::size_t skip_space(std::string_view s, std::size_t p) {
  while (p < s.size() && space(static_cast<unsigned char>(s[p]))) ++p;
  return p;
}

[[nodiscard]] std::string_view rtrim(std::string_view s) {
  while (!s.empty() && space(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

// The characters of one bubble window: cps[k] starts at byte pos[k]; pos has one extra entry.
struct window {
  std::vector<char32_t> cps;
  std::vector<std::size_t> pos;
};

[[nodiscard]] window scan(std::string_view s, std::size_t start, std::size_t max_chars) {
  window w;
  std::size_t i = start;
  while (i < s.size() && w.cps.size() <= max_chars) {
    char32_t cp = 0;
    std::size_t n = next_char(s, i, cp);
    w.cps.push_back(cp);
    w.pos.push_back(i);
    i += n;
  }
  w.pos.push_back(i);
  return w;
}

// Backs a hard cut off characters glued to the one before (at most a few, so progress is sure).
[[nodiscard]] std::size_t grapheme_safe(const window& w, std::size_t k) {
  auto glued = [&](std::size_t at) {
    if (extends(w.cps[at]) || w.cps[at - 1] == 0x200D) return true;
    if (!regional(w.cps[at]) || !regional(w.cps[at - 1])) return false;
    std::size_t run = 0;  // flags are pairs: do not cut after an odd count
    for (std::size_t j = at; j > 0 && regional(w.cps[j - 1]); --j) ++run;
    return run % 2 == 1;
  };
  for (std::size_t j = k; j > 1 && k - j < 32; --j) {
    if (!glued(j)) return j;
  }
  return k;
}

// Number of characters of the next bubble, cutting at the best boundary (window holds more
// than max_chars characters). Cuts at index k keep characters [0, k).
[[nodiscard]] std::size_t best_cut(const window& w, std::size_t max_chars) {
  enum { paragraph, line, sentence, word, levels };
  std::size_t best[levels] = {0, 0, 0, 0};
  std::size_t any_word = 0;
  bool blank_since_newline = false;
  for (std::size_t k = 1; k <= max_chars; ++k) {
    char32_t c = w.cps[k];
    char32_t prev = w.cps[k - 1];
    if (cjk_sentence_end(prev) && !space(c)) best[sentence] = k;
    if (!space(c)) {
      blank_since_newline = false;
      continue;
    }
    best[word] = any_word = k;
    char32_t before = (closing(prev) && k >= 2) ? w.cps[k - 2] : prev;
    if (sentence_end(prev) || sentence_end(before)) best[sentence] = k;
    if (c == '\n') {
      best[line] = k;
      if (blank_since_newline) best[paragraph] = k;
      blank_since_newline = true;
    }
  }
  const std::size_t half = std::max<std::size_t>(max_chars / 2, 1);
  for (std::size_t cut : best) {
    if (cut >= half) return cut;
  }
  return any_word > 0 ? any_word : grapheme_safe(w, max_chars);
}

[[nodiscard]] std::size_t char_count_capped(std::string_view s, std::size_t cap) {
  std::size_t count = 0;
  for (std::size_t i = 0; i < s.size() && count <= cap; ++count) {
    char32_t cp = 0;
    i += next_char(s, i, cp);
  }
  return count;
}

}  // namespace

std::string bubble_key(int64_t message_id) {
  return "pb:" + std::to_string(message_id);
}

int64_t bubble_of(std::string_view data) {
  if (data.size() < 4 || data.size() > 22 || data.substr(0, 3) != "pb:") return 0;
  int64_t id = 0;
  for (char c : data.substr(3)) {
    if (c < '0' || c > '9') return 0;
    if (id > (INT64_MAX - (c - '0')) / 10) return 0;
    id = id * 10 + (c - '0');
  }
  return id;
}

std::string build_text_message(std::string_view to, std::string_view body,
                               std::string_view reply_to, std::string_view callback) {
  common::json_writer w;
  w.begin_object().field("messaging_product", "whatsapp").field("recipient_type", "individual");
  w.field("to", valid_utf8(to)).field("type", "text");
  w.key("text").begin_object().field("body", valid_utf8(body)).field("preview_url", false);
  w.end_object();
  if (!reply_to.empty()) {
    w.key("context").begin_object().field("message_id", valid_utf8(reply_to)).end_object();
  }
  if (!callback.empty()) w.field("biz_opaque_callback_data", valid_utf8(callback));
  w.end_object();
  return w.take();
}

std::string build_mark_read(std::string_view message_id) {
  common::json_writer w;
  w.begin_object().field("messaging_product", "whatsapp").field("status", "read");
  w.field("message_id", valid_utf8(message_id)).end_object();
  return w.take();
}

send_result parse_send_response(int http_status, std::string_view body) {
  send_result r;
  dom::parser parser;
  dom::element root;
  const bool json = !body.empty() && !parser.parse(body.data(), body.size()).get(root);
  const bool success = http_status >= 200 && http_status < 300;
  std::string_view id;
  if (json && success && !root["messages"].at(0)["id"].get_string().get(id) && !id.empty()) {
    r.ok = true;
    r.wamid = std::string(id);
    return r;
  }
  if (auto error = json ? get(root, "error") : std::nullopt; error && error->is_object()) {
    r.error.code = to_int64(get(*error, "code"));
    r.error.message = str(*error, "message");
    r.error.title = str(*error, "error_user_title");
    if (r.error.title.empty()) r.error.title = str(*error, "type");
    r.error.details = str(get(*error, "error_data"), "details");
    if (r.error.details.empty()) r.error.details = str(*error, "error_user_msg");
  }
  if (r.error.message.empty()) {
    r.error.message =
        http_status == 0 ? "transport failure" : "HTTP " + std::to_string(http_status);
    if (success) r.error.message += ": response without messages[0].id";
    std::string_view excerpt = body.substr(0, 200);
    if (!excerpt.empty()) r.error.message += ": " + valid_utf8(excerpt);
  }
  return r;
}

failure_kind classify_failure(int http_status, int64_t code) {
  switch (code) {
    case 130429:
    case 4:
    case 80007:
    case 131056:
      return failure_kind::rate_limited;
    case 190:
      return failure_kind::auth;
    case 131000:
    case 131016:
    case 1:
    case 2:
    case 133004:
    case 131057:
      return failure_kind::retry;
    case 131026:
    case 131047:
    case 131048:
    case 131049:
    case 131031:
    case 131053:
    case 131051:
    case 100:
      return failure_kind::permanent;
    default:
      break;
  }
  if (http_status == 0 || http_status == 408 || http_status == 429 || http_status >= 500) {
    return failure_kind::retry;
  }
  if (http_status == 401 || (http_status == 403 && code == 0)) return failure_kind::auth;
  return failure_kind::permanent;
}

std::vector<std::string> split_bubbles(std::string_view text, std::size_t max_chars) {
  max_chars = std::max<std::size_t>(max_chars, 1);
  std::vector<std::string> out;
  if (char_count_capped(text, max_chars) <= max_chars) {
    if (skip_space(text, 0) < text.size()) out.emplace_back(text);
    return out;
  }
  for (std::size_t start = skip_space(text, 0); start < text.size();) {
    window w = scan(text, start, max_chars);
    std::size_t end = text.size();
    if (w.cps.size() > max_chars) end = w.pos[best_cut(w, max_chars)];
    std::string_view bubble = rtrim(text.substr(start, end - start));
    if (!bubble.empty()) out.emplace_back(bubble);
    start = skip_space(text, end);
  }
  return out;
}

}  // namespace parley::channels::whatsapp
