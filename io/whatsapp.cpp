#include "io/whatsapp.hpp"

#include <simdjson.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "io/json_writer.hpp"

namespace parley::io::whatsapp {
namespace {

namespace dom = simdjson::dom;

// ---------------------------------------------------------------------------------------------
// Raw spans. The DOM keeps no source offsets, yet `raw` must be the bytes Meta sent (numbers and
// escapes as written). These walk text simdjson has already validated, so they only need to find
// where values end; the DOM iterates fields and elements in the same document order.

[[nodiscard]] bool json_ws(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

[[nodiscard]] std::size_t skip_ws(std::string_view s, std::size_t p) {
  while (p < s.size() && json_ws(s[p])) ++p;
  return p;
}

// p at the opening quote; returns the index after the closing quote. Message bodies dominate a
// payload, so quotes are found with memchr; a quote preceded by an odd run of backslashes is
// escaped.
[[nodiscard]] std::size_t skip_string(std::string_view s, std::size_t p) {
  for (++p; p < s.size(); ++p) {
    const void* hit = std::memchr(s.data() + p, '"', s.size() - p);
    if (hit == nullptr) break;
    p = static_cast<std::size_t>(static_cast<const char*>(hit) - s.data());
    std::size_t slashes = 0;
    while (slashes < p && s[p - 1 - slashes] == '\\') ++slashes;
    if (slashes % 2 == 0) return p + 1;
  }
  return s.size();
}

// Iterative, so nesting depth costs no stack.
[[nodiscard]] std::size_t skip_container(std::string_view s, std::size_t p) {
  std::size_t depth = 0;
  while (p < s.size()) {
    char c = s[p];
    if (c == '"') {
      p = skip_string(s, p);
      continue;
    }
    if (c == '{' || c == '[') ++depth;
    if ((c == '}' || c == ']') && --depth == 0) return p + 1;
    ++p;
  }
  return p;
}

[[nodiscard]] std::size_t skip_value(std::string_view s, std::size_t p) {
  if (p >= s.size()) return p;
  if (s[p] == '"') return skip_string(s, p);
  if (s[p] == '{' || s[p] == '[') return skip_container(s, p);
  while (p < s.size() && !json_ws(s[p]) && s[p] != ',' && s[p] != ']' && s[p] != '}') ++p;
  return p;
}

// Spans of the first `limit` values of an object (keys dropped) or elements of an array.
[[nodiscard]] std::vector<std::string_view> raw_children(std::string_view v,
                                                         std::size_t limit = SIZE_MAX) {
  std::vector<std::string_view> out;
  if (v.size() < 2 || (v[0] != '{' && v[0] != '[')) return out;
  const bool object = v[0] == '{';
  std::size_t p = skip_ws(v, 1);
  while (out.size() < limit && p < v.size() && v[p] != '}' && v[p] != ']') {
    if (object) p = skip_ws(v, skip_ws(v, skip_string(v, p)) + 1);  // key, ':'
    std::size_t end = skip_value(v, p);
    if (end <= p) break;
    out.push_back(v.substr(p, end - p));
    p = skip_ws(v, end);
    if (p < v.size() && v[p] == ',') p = skip_ws(v, p + 1);
  }
  return out;
}

// A DOM element plus its source bytes; raw is empty when unknown (then re-serialised).
struct node {
  dom::element el;
  std::string_view raw;
};

[[nodiscard]] std::optional<node> child(const node& obj, std::string_view key) {
  dom::object o;
  if (obj.el.get_object().get(o)) return std::nullopt;
  std::size_t index = 0;
  for (dom::key_value_pair field : o) {
    if (field.key == key) {
      auto raws = raw_children(obj.raw, index + 1);
      return node{field.value, raws.size() == index + 1 ? raws[index] : std::string_view{}};
    }
    ++index;
  }
  return std::nullopt;
}

[[nodiscard]] std::vector<node> elements(const node& arr) {
  std::vector<node> out;
  dom::array a;
  if (arr.el.get_array().get(a)) return out;
  auto raws = raw_children(arr.raw);
  for (dom::element e : a) out.push_back(node{e, {}});
  if (raws.size() == out.size()) {
    for (std::size_t i = 0; i < out.size(); ++i) out[i].raw = raws[i];
  }
  return out;
}

[[nodiscard]] std::string raw_text(const node& n) {
  return n.raw.empty() ? simdjson::minify(n.el) : std::string(n.raw);
}

// ---------------------------------------------------------------------------------------------
// Lenient field access: a missing field or one of the wrong type reads as empty.

[[nodiscard]] std::optional<dom::element> get(dom::element obj, std::string_view key) {
  dom::element out;
  if (obj.at_key(key).get(out)) return std::nullopt;
  return out;
}

[[nodiscard]] std::string str(dom::element obj, std::string_view key) {
  std::string_view s;
  if (obj.at_key(key).get_string().get(s)) return {};
  return std::string(s);
}

[[nodiscard]] std::string str(std::optional<dom::element> obj, std::string_view key) {
  return obj ? str(*obj, key) : std::string{};
}

[[nodiscard]] std::string format_double(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  return ec == std::errc{} ? std::string(buf, end) : std::string{};
}

// Numbers Meta may send either as JSON numbers or strings (prices, coordinates, quantities).
[[nodiscard]] std::string scalar(std::optional<dom::element> e) {
  if (!e) return {};
  switch (e->type()) {
    case dom::element_type::STRING:
      return std::string(e->get_string().value_unsafe());
    case dom::element_type::INT64:
      return std::to_string(e->get_int64().value_unsafe());
    case dom::element_type::UINT64:
      return std::to_string(e->get_uint64().value_unsafe());
    case dom::element_type::DOUBLE:
      return format_double(e->get_double().value_unsafe());
    case dom::element_type::BOOL:
      return e->get_bool().value_unsafe() ? "true" : "false";
    default:
      return {};
  }
}

// Timestamps and codes: Meta sends strings ("1749416383") or numbers; anything else is 0.
[[nodiscard]] int64_t to_int64(std::optional<dom::element> e) {
  if (!e) return 0;
  switch (e->type()) {
    case dom::element_type::STRING: {
      std::string_view s = e->get_string().value_unsafe();
      int64_t v = 0;
      auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
      return ec == std::errc{} && end == s.data() + s.size() ? v : 0;
    }
    case dom::element_type::INT64:
      return e->get_int64().value_unsafe();
    case dom::element_type::UINT64:
      return 0;  // above INT64_MAX: not a real timestamp or code
    case dom::element_type::DOUBLE: {
      double d = e->get_double().value_unsafe();
      return std::isfinite(d) && std::fabs(d) < 9.2e18 ? static_cast<int64_t>(d) : 0;
    }
    default:
      return 0;
  }
}

[[nodiscard]] std::vector<dom::element> array_at(dom::element obj, std::string_view key) {
  std::vector<dom::element> out;
  dom::array a;
  if (obj.at_key(key).get_array().get(a)) return out;
  for (dom::element e : a) out.push_back(e);
  return out;
}

[[nodiscard]] std::string join(const std::vector<std::string>& parts, std::string_view sep) {
  std::string out;
  for (const auto& p : parts) {
    if (p.empty()) continue;
    if (!out.empty()) out += sep;
    out += p;
  }
  return out;
}

[[nodiscard]] api_error parse_error(dom::element e) {
  api_error err;
  err.code = to_int64(get(e, "code"));
  err.title = str(e, "title");
  err.message = str(e, "message");
  err.details = str(get(e, "error_data"), "details");
  return err;
}

[[nodiscard]] std::vector<api_error> parse_errors(dom::element obj) {
  std::vector<api_error> out;
  for (dom::element e : array_at(obj, "errors")) {
    if (e.is_object()) out.push_back(parse_error(e));
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// What a responder reads, per message type.

[[nodiscard]] bool is_media_type(std::string_view t) {
  return t == "image" || t == "video" || t == "audio" || t == "document" || t == "sticker";
}

[[nodiscard]] media_ref parse_media(dom::element m) {
  media_ref r;
  r.id = str(m, "id");
  r.mime_type = str(m, "mime_type");
  r.sha256 = str(m, "sha256");
  r.caption = str(m, "caption");
  r.filename = str(m, "filename");
  r.url = str(m, "url");
  bool voice = false;
  r.voice = !m.at_key("voice").get_bool().get(voice) && voice;
  return r;
}

[[nodiscard]] std::string describe_location(dom::element loc) {
  std::string out = join({str(loc, "name"), str(loc, "address")}, ", ");
  std::string lat = scalar(get(loc, "latitude"));
  std::string lon = scalar(get(loc, "longitude"));
  if (lat.empty() && lon.empty()) return out;
  if (!out.empty()) out += ' ';
  return out + "(" + lat + ", " + lon + ")";
}

// interactive.type names the reply object: button_reply/list_reply {id, title, description?},
// nfm_reply (flows) {body?, response_json}; unknown kinds get the same best effort.
void describe_interactive(dom::element in, inbound_message& m) {
  auto reply = get(in, str(in, "type"));
  if (!reply) return;
  m.reply_id = str(*reply, "id");
  std::string title = str(*reply, "title");
  if (!title.empty()) {
    m.text = join({title, str(*reply, "description")}, " - ");
    return;
  }
  m.text = str(*reply, "body");
  if (m.text.empty()) m.text = str(*reply, "response_json");
}

[[nodiscard]] std::string describe_contact(dom::element c) {
  auto name = get(c, "name");
  std::string who = str(name, "formatted_name");
  if (who.empty()) who = join({str(name, "first_name"), str(name, "last_name")}, " ");
  auto phones = array_at(c, "phones");
  std::string phone = phones.empty() ? std::string{} : str(phones.front(), "phone");
  if (phone.empty()) return who;
  return who.empty() ? phone : who + " (" + phone + ")";
}

[[nodiscard]] std::string describe_contacts(dom::element msg) {
  std::vector<std::string> parts;
  for (dom::element c : array_at(msg, "contacts")) {
    if (c.is_object()) parts.push_back(describe_contact(c));
  }
  return join(parts, ", ");
}

[[nodiscard]] std::string describe_order(dom::element order) {
  std::vector<std::string> items;
  for (dom::element it : array_at(order, "product_items")) {
    if (!it.is_object()) continue;
    std::string item = scalar(get(it, "quantity"));
    item = join({item, scalar(get(it, "product_retailer_id"))}, " x ");
    std::string price = join({scalar(get(it, "item_price")), str(it, "currency")}, " ");
    if (!price.empty()) item += " (" + price + ")";
    items.push_back(item);
  }
  std::string summary = items.empty() ? std::string{} : "Order: " + join(items, ", ");
  return join({str(order, "text"), summary}, "\n");
}

void describe(dom::element msg, inbound_message& m) {
  auto body = get(msg, m.type);
  if (!body || !body->is_object()) return;  // unsupported, or a type without its object
  if (is_media_type(m.type)) {
    m.media = parse_media(*body);
    m.text = m.media->caption;
  } else if (m.type == "text" || m.type == "system") {
    m.text = str(*body, "body");
  } else if (m.type == "button") {
    m.reply_id = str(*body, "payload");
    m.text = str(*body, "text");
    if (m.text.empty()) m.text = m.reply_id;
  } else if (m.type == "interactive") {
    describe_interactive(*body, m);
  } else if (m.type == "location") {
    m.text = describe_location(*body);
  } else if (m.type == "reaction") {
    m.text = str(*body, "emoji");
    m.reaction_to = str(*body, "message_id");
  } else if (m.type == "order") {
    m.text = describe_order(*body);
  }
}

// ---------------------------------------------------------------------------------------------
// Envelope.

struct change_ctx {
  dom::element value;
  std::string phone_number_id;
  std::string display_phone_number;
};

// Strict fields are the ones Meta always sends; empty counts as missing.
[[nodiscard]] bool required(dom::element obj, std::string_view key, std::string& out) {
  out = str(obj, key);
  return !out.empty();
}

[[nodiscard]] std::string contact_name(dom::element value, std::string_view wa_id) {
  for (dom::element c : array_at(value, "contacts")) {
    if (c.is_object() && str(c, "wa_id") == wa_id) return str(get(c, "profile"), "name");
  }
  return {};
}

// Returns an error message, or "" when the message was appended.
[[nodiscard]] std::string parse_message(const node& n, const change_ctx& ctx, webhook_batch& b) {
  inbound_message m;
  dom::element msg = n.el;
  if (!msg.is_object()) return "message is not an object";
  if (!required(msg, "id", m.wamid)) return "message without id";
  if (!required(msg, "from", m.from)) return "message " + m.wamid + " without from";
  if (!required(msg, "type", m.type)) return "message " + m.wamid + " without type";
  m.phone_number_id = ctx.phone_number_id;
  m.display_phone_number = ctx.display_phone_number;
  m.contact_name = contact_name(ctx.value, m.from);
  m.timestamp = to_int64(get(msg, "timestamp"));
  m.context_id = str(get(msg, "context"), "id");
  m.errors = parse_errors(msg);
  if (m.type == "contacts") {
    m.text = describe_contacts(msg);  // an array, unlike every other type's object
  } else {
    describe(msg, m);
  }
  m.raw = raw_text(n);
  b.messages.push_back(std::move(m));
  return {};
}

[[nodiscard]] std::string parse_status(const node& n, const change_ctx& ctx, webhook_batch& b) {
  status_update s;
  dom::element st = n.el;
  if (!st.is_object()) return "status is not an object";
  if (!required(st, "id", s.wamid)) return "status without id";
  if (!required(st, "status", s.status)) return "status " + s.wamid + " without status";
  s.phone_number_id = ctx.phone_number_id;
  s.recipient_id = str(st, "recipient_id");
  s.timestamp = to_int64(get(st, "timestamp"));
  s.errors = parse_errors(st);
  s.conversation_id = str(get(st, "conversation"), "id");
  s.pricing_category = str(get(st, "pricing"), "category");
  s.raw = raw_text(n);
  b.statuses.push_back(std::move(s));
  return {};
}

// messages/statuses: absent is fine, present must be an array.
[[nodiscard]] bool list_at(const node& value, std::string_view key, std::vector<node>& out) {
  auto n = child(value, key);
  if (!n) return true;
  if (!n->el.is_array()) return false;
  out = elements(*n);
  return true;
}

[[nodiscard]] std::string parse_messages_change(const node& value, webhook_batch& b) {
  if (!value.el.is_object()) return "messages change value is not an object";
  auto metadata = get(value.el, "metadata");
  change_ctx ctx{value.el, str(metadata, "phone_number_id"), str(metadata, "display_phone_number")};
  std::vector<node> messages, statuses;
  if (!list_at(value, "messages", messages)) return "value.messages is not an array";
  if (!list_at(value, "statuses", statuses)) return "value.statuses is not an array";
  if (ctx.phone_number_id.empty() && !(messages.empty() && statuses.empty())) {
    return "messages change without metadata.phone_number_id";
  }
  auto& ids = b.phone_number_ids;
  if (!ctx.phone_number_id.empty() &&
      std::find(ids.begin(), ids.end(), ctx.phone_number_id) == ids.end()) {
    ids.push_back(ctx.phone_number_id);
  }
  auto errors = parse_errors(value.el);
  b.errors.insert(b.errors.end(), errors.begin(), errors.end());
  for (const auto& m : messages) {
    if (auto err = parse_message(m, ctx, b); !err.empty()) return err;
  }
  for (const auto& s : statuses) {
    if (auto err = parse_status(s, ctx, b); !err.empty()) return err;
  }
  return {};
}

[[nodiscard]] std::string parse_change(const node& change, const std::string& entry_id,
                                       webhook_batch& b) {
  if (!change.el.is_object()) return "change is not an object";
  std::string field = str(change.el, "field");
  auto value = child(change, "value");
  if (field != "messages") {
    b.others.push_back(other_change{std::move(field), value ? raw_text(*value) : "", entry_id});
    return {};
  }
  if (!value) return "messages change without value";
  return parse_messages_change(*value, b);
}

[[nodiscard]] std::string parse_entry(const node& entry, webhook_batch& b) {
  if (!entry.el.is_object()) return "entry element is not an object";
  auto changes = child(entry, "changes");
  if (!changes) return {};
  if (!changes->el.is_array()) return "entry.changes is not an array";
  std::string entry_id = scalar(get(entry.el, "id"));
  for (const auto& change : elements(*changes)) {
    if (auto err = parse_change(change, entry_id, b); !err.empty()) return err;
  }
  return {};
}

[[nodiscard]] parse_result fail(parse_errc code, std::string message) {
  parse_result r;
  r.error = code;
  r.message = std::move(message);
  return r;
}

// simdjson does not skip a UTF-8 byte order mark; tolerate one so the scanner and the DOM agree.
[[nodiscard]] std::string_view strip_bom(std::string_view body) {
  if (body.substr(0, 3) == "\xEF\xBB\xBF") body.remove_prefix(3);
  return body;
}

[[nodiscard]] parse_result parse_webhook_unguarded(std::string_view body) {
  body = strip_bom(body);
  if (body.empty()) return fail(parse_errc::invalid_json, "empty body");
  dom::parser parser;
  dom::element root;
  if (auto err = parser.parse(body.data(), body.size()).get(root)) {
    return fail(parse_errc::invalid_json, simdjson::error_message(err));
  }
  if (!root.is_object() || str(root, "object") != "whatsapp_business_account") {
    return fail(parse_errc::not_whatsapp, "object is not whatsapp_business_account");
  }
  auto entries = child(node{root, body.substr(skip_ws(body, 0))}, "entry");
  if (!entries || !entries->el.is_array()) {
    return fail(parse_errc::bad_structure, "entry is missing or not an array");
  }
  parse_result r;
  for (const auto& entry : elements(*entries)) {
    if (auto err = parse_entry(entry, r.batch); !err.empty()) {
      return fail(parse_errc::bad_structure, std::move(err));
    }
  }
  return r;
}

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

parse_result parse_webhook(std::string_view body) {
  try {
    return parse_webhook_unguarded(body);
  } catch (const std::bad_alloc&) {
    return fail(parse_errc::bad_structure, "out of memory");
  } catch (...) {
    return fail(parse_errc::bad_structure, "unexpected parser failure");
  }
}

int status_rank(std::string_view status) {
  if (status == "sent") return 1;
  if (status == "delivered") return 2;
  if (status == "read" || status == "played") return 3;
  if (status == "failed") return 4;
  return 0;
}

bool status_advances(std::string_view current, std::string_view next) {
  // failed has the top rank, so "higher wins" already makes it final.
  return status_rank(next) > status_rank(current);
}

std::string build_text_message(std::string_view to, std::string_view body,
                               std::string_view reply_to) {
  json_writer w;
  w.begin_object().field("messaging_product", "whatsapp").field("recipient_type", "individual");
  w.field("to", valid_utf8(to)).field("type", "text");
  w.key("text").begin_object().field("body", valid_utf8(body)).field("preview_url", false);
  w.end_object();
  if (!reply_to.empty()) {
    w.key("context").begin_object().field("message_id", valid_utf8(reply_to)).end_object();
  }
  w.end_object();
  return w.take();
}

std::string build_mark_read(std::string_view message_id) {
  json_writer w;
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

}  // namespace parley::io::whatsapp
