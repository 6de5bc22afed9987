// WhatsApp notifications in: webhook bodies (messages, statuses, other changes) parsed into
// what parley stores, each message's raw JSON kept exactly as Meta sent it.
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
  s.callback_data = str(st, "biz_opaque_callback_data");
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

}  // namespace parley::channels::whatsapp
