#pragma once
// WhatsApp Cloud API wire format: webhook parsing, send bodies, send responses, error
// classification and bubble splitting.
//
// Pure functions, no I/O, thread-safe. Used by the webhook route (parse_webhook after
// common::verify_signature), the channel sender (build_*, parse_send_response, classify_failure,
// split_bubbles) and the conversation actors (status_advances). Field names and semantics follow
// /work/shared/WHATSAPP.md; Meta's real payloads are accepted exactly as sent.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace parley::channels::whatsapp {

struct api_error {
  int64_t code = 0;
  std::string title;
  std::string message;
  std::string details;  // error_data.details
};

struct media_ref {
  std::string id, mime_type, sha256, caption, filename, url;
  bool voice = false;
};

struct inbound_message {
  std::string phone_number_id;  // metadata.phone_number_id of the change it came in
  std::string display_phone_number;
  std::string wamid;         // messages[].id (dedup key)
  std::string from;          // customer wa_id
  std::string contact_name;  // contacts[].profile.name whose wa_id == from ("" if none)
  int64_t timestamp = 0;     // unix seconds (Meta sends a string)
  // As sent: text, image, video, audio, document, sticker, location, interactive, button,
  // reaction, contacts, order, system, unsupported, or any unknown string.
  std::string type;
  // What a responder should read: text.body; media caption; button.text; interactive
  // button_reply/list_reply title (+ " - " description) or nfm_reply body; location
  // "name, address (lat, lon)"; reaction emoji; contacts "Name (+phone)" joined by ", ";
  // order summary; system body. Empty when there is nothing to read.
  std::string text;
  std::optional<media_ref> media;  // image/video/audio/document/sticker
  std::string context_id;          // context.id (quoted message) or ""
  std::vector<api_error> errors;   // messages[].errors (e.g. type unsupported)
  std::string raw;                 // this message object's JSON exactly as received
  std::string reply_id;            // interactive button_reply/list_reply id, or button.payload
  std::string reaction_to;         // reaction.message_id: the wamid the customer reacted to
};

struct status_update {
  // status: sent|delivered|read|failed|played|unknown string
  std::string phone_number_id, wamid, status, recipient_id;
  int64_t timestamp = 0;
  std::vector<api_error> errors;
  std::string raw;  // this status object's JSON exactly as received
  // Additions (billing): conversation.id and pricing.category, "" when absent.
  std::string conversation_id, pricing_category;
  /// biz_opaque_callback_data as sent with the message ("" when absent); bubble_of() reads it.
  std::string callback_data;
};

/// A change whose field is not "messages" (account_update, message_template_status_update...):
/// stored and acknowledged, never interpreted here.
struct other_change {
  std::string field;
  std::string raw;       // the change's value JSON exactly as received ("" if absent)
  std::string entry_id;  // addition: entry[].id (the WABA id)
};

struct webhook_batch {
  std::vector<inbound_message> messages;  // every entry, every change, in document order
  std::vector<status_update> statuses;
  std::vector<other_change> others;
  std::vector<api_error> errors;              // value.errors[]
  std::vector<std::string> phone_number_ids;  // distinct metadata.phone_number_id seen in
                                              // "messages" changes, in first-seen order
};

enum class parse_errc { ok, invalid_json, not_whatsapp, bad_structure };

struct parse_result {
  parse_errc error = parse_errc::ok;
  std::string message;  // why, when error != ok
  webhook_batch batch;  // empty unless error == ok
};

/// Never throws, never crashes on any input. invalid_json for non-JSON; not_whatsapp when the
/// root is not an object with object == "whatsapp_business_account"; bad_structure when entry
/// is missing/not an array, an entry/change/value has the wrong JSON type, a message lacks a
/// string id/from/type, a status lacks a string id/status, or a "messages" change carrying
/// messages/statuses has no metadata.phone_number_id (it could not be routed to a tenant).
/// Unknown fields and types are kept, not fatal.
[[nodiscard]] parse_result parse_webhook(std::string_view body);

/// Status order for monotonic updates: sent=1, delivered=2, read=3, played=3 (voice played ~
/// read), failed=4 (final); unknown=0.
[[nodiscard]] int status_rank(std::string_view status);
/// True when moving from `current` to `next` is allowed: higher rank wins; failed is final;
/// never go down. `current` may be "" (nothing known yet).
[[nodiscard]] bool status_advances(std::string_view current, std::string_view next);

/// Body for POST /{version}/{phone_number_id}/messages (text; preview_url false;
/// "context":{"message_id":...} only when reply_to non-empty; "biz_opaque_callback_data" only
/// when `callback` is non-empty: Meta echoes it in the message's status webhooks). Invalid
/// UTF-8 in `body` is replaced by U+FFFD so Meta always receives valid JSON.
[[nodiscard]] std::string build_text_message(std::string_view to, std::string_view body,
                                             std::string_view reply_to = {},
                                             std::string_view callback = {});

/// The callback data that names a stored bubble in its status webhooks ("pb:<id>"), and back
/// (0 when `data` names none: another app's data, or none at all).
[[nodiscard]] std::string bubble_key(int64_t message_id);
[[nodiscard]] int64_t bubble_of(std::string_view data);
/// Addition: body for marking an inbound message as read (same endpoint).
[[nodiscard]] std::string build_mark_read(std::string_view message_id);

struct send_result {
  bool ok = false;
  std::string wamid;
  api_error error;
};
/// 2xx with messages[0].id -> ok + wamid; otherwise error from
/// {"error":{"code","message","error_data":{"details"}}} (code 0 if absent; title is
/// error_user_title or else type). When the body carries no message, error.message says
/// "HTTP <status>" (or "transport failure" for status 0) plus the start of the body.
[[nodiscard]] send_result parse_send_response(int http_status, std::string_view body);

enum class failure_kind { retry, rate_limited, permanent, auth };
/// 130429, 4, 80007, 131056 -> rate_limited; 131000, 131016, 1, 2 (and 133004, 131057) and
/// HTTP 5xx/408/429 or transport failure (http_status 0) -> retry; 190 (any status), 0 with
/// HTTP 401/403, or any other code with 401 -> auth; 131026, 131047, 131048, 131049, 131031,
/// 131053, 131051, 100, other 4xx, and unknown codes outside those HTTP statuses -> permanent.
/// Known codes win over the HTTP status.
[[nodiscard]] failure_kind classify_failure(int http_status, int64_t code);

/// Splits text into bubbles of at most max_chars Unicode code points (WhatsApp counts
/// characters, not bytes), never splitting a UTF-8 sequence (nor, when avoidable, a combining
/// mark or emoji modifier from its base); prefers paragraph, then line, then sentence, then word
/// boundaries in the second half of each bubble; no empty bubbles; trims whitespace at cuts.
/// Text that already fits is returned unchanged; whitespace-only text yields no bubble.
/// max_chars 0 is treated as 1. Invalid UTF-8 bytes count as one character each.
[[nodiscard]] std::vector<std::string> split_bubbles(std::string_view text,
                                                     std::size_t max_chars = 4096);

}  // namespace parley::channels::whatsapp
