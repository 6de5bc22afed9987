// Tests for channels/whatsapp: webhook parsing with Meta's real payload shapes, status ordering,
// send bodies and responses, failure classification and bubble splitting.
#include "channels/whatsapp.hpp"

#include <gtest/gtest.h>

// parley_io builds against simdjson::simdjson, whose interface defines this; dom::parser's layout
// depends on it, so the test must agree to share the library's symbols safely.
#ifndef SIMDJSON_THREADS_ENABLED
#define SIMDJSON_THREADS_ENABLED 1
#endif
#include <simdjson.h>

#include <cstdint>
#include <random>
#include <string>
#include <vector>

using namespace parley::channels::whatsapp;

namespace {

constexpr std::string_view kPhoneId = "106540352242922";

// The text example from WHATSAPP.md, verbatim.
constexpr std::string_view kTextExample =
    R"({"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"messages",)"
    R"("value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881",)"
    R"("phone_number_id":"106540352242922"},"contacts":[{"profile":{"name":"Sheena Nelson"},)"
    R"("wa_id":"16505551234"}],"messages":[{"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",)"
    R"("timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}}]}}]}]})";

std::string messages_value(std::string_view phone_id, std::string_view inner) {
  return R"({"messaging_product":"whatsapp","metadata":{"display_phone_number":"15550783881",)"
         R"("phone_number_id":")" +
         std::string(phone_id) + R"("},)" + std::string(inner) + "}";
}

std::string change(std::string_view value, std::string_view field = "messages") {
  return R"({"value":)" + std::string(value) + R"(,"field":")" + std::string(field) + R"("})";
}

std::string entry(std::string_view id, const std::vector<std::string>& changes) {
  std::string out = R"({"id":")" + std::string(id) + R"(","changes":[)";
  for (std::size_t i = 0; i < changes.size(); ++i) out += (i ? "," : "") + changes[i];
  return out + "]}";
}

std::string envelope(const std::vector<std::string>& entries) {
  std::string out = R"({"object":"whatsapp_business_account","entry":[)";
  for (std::size_t i = 0; i < entries.size(); ++i) out += (i ? "," : "") + entries[i];
  return out + "]}";
}

// One message from customer 16505551234 (contact "Sheena Nelson") in a full envelope.
std::string with_message(std::string_view message) {
  std::string inner = R"("contacts":[{"profile":{"name":"Sheena Nelson"},"wa_id":"16505551234"}],)"
                      R"("messages":[)" +
                      std::string(message) + "]";
  return envelope({entry("102290129340398", {change(messages_value(kPhoneId, inner))})});
}

std::string with_statuses(std::string_view statuses) {
  std::string inner = R"("statuses":[)" + std::string(statuses) + "]";
  return envelope({entry("102290129340398", {change(messages_value(kPhoneId, inner))})});
}

inbound_message single(std::string_view message) {
  auto r = parse_webhook(with_message(message));
  EXPECT_EQ(r.error, parse_errc::ok) << r.message;
  EXPECT_EQ(r.batch.messages.size(), 1u);
  if (r.batch.messages.size() != 1) return {};
  EXPECT_EQ(r.batch.messages[0].raw, message);  // exact bytes, not re-serialised
  return r.batch.messages[0];
}

std::size_t code_points(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

bool valid_utf8(std::string_view s) {
  return simdjson::validate_utf8(s.data(), s.size());
}

std::string strip_space(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (c != ' ' && c != '\n' && c != '\t' && c != '\r') out += c;
  }
  return out;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// Webhook parsing: one test per message type.

TEST(whatsapp_parse, text_example_from_the_spec) {
  auto r = parse_webhook(kTextExample);
  ASSERT_EQ(r.error, parse_errc::ok) << r.message;
  ASSERT_EQ(r.batch.messages.size(), 1u);
  const auto& m = r.batch.messages[0];
  EXPECT_EQ(m.phone_number_id, "106540352242922");
  EXPECT_EQ(m.display_phone_number, "15550783881");
  EXPECT_EQ(m.wamid, "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=");
  EXPECT_EQ(m.from, "16505551234");
  EXPECT_EQ(m.contact_name, "Sheena Nelson");
  EXPECT_EQ(m.timestamp, 1749416383);
  EXPECT_EQ(m.type, "text");
  EXPECT_EQ(m.text, "Does it come in another color?");
  EXPECT_FALSE(m.media.has_value());
  EXPECT_EQ(m.context_id, "");
  EXPECT_TRUE(m.errors.empty());
  EXPECT_EQ(
      m.raw,
      R"({"from":"16505551234","id":"wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",)"
      R"("timestamp":"1749416383","type":"text","text":{"body":"Does it come in another color?"}})");
  EXPECT_EQ(r.batch.phone_number_ids, std::vector<std::string>{"106540352242922"});
  EXPECT_TRUE(r.batch.statuses.empty());
  EXPECT_TRUE(r.batch.others.empty());
}

TEST(whatsapp_parse, text_with_quoted_context_and_escapes) {
  auto m = single(
      R"({"context":{"from":"15550783881","id":"wamid.QUOTED"},"from":"16505551234","id":"wamid.T2",)"
      R"("timestamp":"1749416400","text":{"body":"caf\u00e9 \"ok\"\nline 2 \ud83d\ude00"},"type":"text"})");
  EXPECT_EQ(m.context_id, "wamid.QUOTED");
  EXPECT_EQ(m.text, "caf\xC3\xA9 \"ok\"\nline 2 \xF0\x9F\x98\x80");
}

TEST(whatsapp_parse, image_with_caption) {
  auto m = single(
      R"({"from":"16505551234","id":"wamid.IMG","timestamp":"1749416383","type":"image",)"
      R"("image":{"caption":"This is a caption","mime_type":"image/jpeg",)"
      R"("sha256":"NTU2ZWNhNDNmNjIzZjM4MmY4MGFiMzhmNTg5NWNhODFkOTc0Mzc0MjA3MmQ1MTg0OTI0ODgzMzYxNjc4YjhlNA==",)"
      R"("id":"1479537139650973","url":"https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1479537139650973"}})");
  EXPECT_EQ(m.type, "image");
  EXPECT_EQ(m.text, "This is a caption");
  ASSERT_TRUE(m.media.has_value());
  EXPECT_EQ(m.media->id, "1479537139650973");
  EXPECT_EQ(m.media->mime_type, "image/jpeg");
  EXPECT_EQ(
      m.media->sha256,
      "NTU2ZWNhNDNmNjIzZjM4MmY4MGFiMzhmNTg5NWNhODFkOTc0Mzc0MjA3MmQ1MTg0OTI0ODgzMzYxNjc4YjhlNA==");
  EXPECT_EQ(m.media->caption, "This is a caption");
  EXPECT_EQ(m.media->url,
            "https://lookaside.fbsbx.com/whatsapp_business/attachments/?mid=1479537139650973");
  EXPECT_FALSE(m.media->voice);
}

TEST(whatsapp_parse, video_without_caption) {
  auto m = single(
      R"({"from":"16505551234","id":"wamid.VID","timestamp":"1749416383","type":"video",)"
      R"("video":{"mime_type":"video/mp4","sha256":"8pKpPg5O0+3Q2ZhdtL8yFtCvFQ0lVx0T1w5aoGxXpTU=",)"
      R"("id":"1166846181421424"}})");
  ASSERT_TRUE(m.media.has_value());
  EXPECT_EQ(m.media->id, "1166846181421424");
  EXPECT_EQ(m.media->mime_type, "video/mp4");
  EXPECT_EQ(m.text, "");
}

TEST(whatsapp_parse, audio_voice_note) {
  auto m = single(
      R"({"from":"16505551234","id":"wamid.AUD","timestamp":"1749416383","type":"audio",)"
      R"("audio":{"mime_type":"audio/ogg; codecs=opus","sha256":"iTqyDeFXaoAGm0Ol0LqZ2vmnAnLsOYTyfGVb8l3lmbM=",)"
      R"("id":"1003383421387256","voice":true}})");
  ASSERT_TRUE(m.media.has_value());
  EXPECT_TRUE(m.media->voice);
  EXPECT_EQ(m.media->mime_type, "audio/ogg; codecs=opus");
  EXPECT_EQ(m.text, "");
}

TEST(whatsapp_parse, document_with_filename) {
  auto m = single(
      R"({"from":"16505551234","id":"wamid.DOC","timestamp":"1749416383","type":"document",)"
      R"("document":{"caption":"Lucky Shrub Invoice","filename":"lucky-shrub-invoice.pdf",)"
      R"("mime_type":"application/pdf","sha256":"Bsa3K9y4kR0kK3QdaZ9mbCrZ4+3QdN5JcCEh6n3yMZY=",)"
      R"("id":"1003383421387256"}})");
  ASSERT_TRUE(m.media.has_value());
  EXPECT_EQ(m.media->filename, "lucky-shrub-invoice.pdf");
  EXPECT_EQ(m.media->caption, "Lucky Shrub Invoice");
  EXPECT_EQ(m.text, "Lucky Shrub Invoice");
}

TEST(whatsapp_parse, sticker) {
  auto m = single(
      R"({"from":"16505551234","id":"wamid.STK","timestamp":"1749416383","type":"sticker",)"
      R"("sticker":{"mime_type":"image/webp","sha256":"dLpBq3nBDcxKq6JxAB3QR+XnGzl9fQGwFvXZPJz8cCY=",)"
      R"("id":"1228495498393451","animated":false}})");
  ASSERT_TRUE(m.media.has_value());
  EXPECT_EQ(m.media->mime_type, "image/webp");
  EXPECT_EQ(m.text, "");
}

TEST(whatsapp_parse, location) {
  auto m =
      single(R"({"from":"16505551234","id":"wamid.LOC","timestamp":"1749416383","type":"location",)"
             R"("location":{"address":"1 Hacker Way, Menlo Park, CA 94025","latitude":37.483307,)"
             R"("longitude":-122.148984,"name":"Meta Headquarters","url":"https://meta.com"}})");
  EXPECT_EQ(m.text,
            "Meta Headquarters, 1 Hacker Way, Menlo Park, CA 94025 (37.483307, -122.148984)");
  EXPECT_FALSE(m.media.has_value());
  auto pin =
      single(R"({"from":"16505551234","id":"wamid.PIN","timestamp":"1749416383","type":"location",)"
             R"("location":{"latitude":-33.8688,"longitude":151}})");
  EXPECT_EQ(pin.text, "(-33.8688, 151)");
}

TEST(whatsapp_parse, interactive_button_reply) {
  auto m = single(
      R"({"context":{"from":"15550783881","id":"wamid.MENU"},"from":"16505551234","id":"wamid.BR",)"
      R"("timestamp":"1749416383","type":"interactive","interactive":{"type":"button_reply",)"
      R"("button_reply":{"id":"track-order","title":"Track my order"}}})");
  EXPECT_EQ(m.text, "Track my order");
  EXPECT_EQ(m.reply_id, "track-order");
  EXPECT_EQ(m.context_id, "wamid.MENU");
}

TEST(whatsapp_parse, interactive_list_reply) {
  auto m = single(
      R"({"context":{"from":"15550783881","id":"wamid.LIST"},"from":"16505551234","id":"wamid.LR",)"
      R"("timestamp":"1749416383","type":"interactive","interactive":{"type":"list_reply",)"
      R"("list_reply":{"id":"priority-express","title":"Express","description":"Next day delivery"}}})");
  EXPECT_EQ(m.text, "Express - Next day delivery");
  EXPECT_EQ(m.reply_id, "priority-express");
}

TEST(whatsapp_parse, interactive_flow_reply) {
  auto m = single(
      R"({"from":"16505551234","id":"wamid.NFM","timestamp":"1749416383","type":"interactive",)"
      R"("interactive":{"type":"nfm_reply","nfm_reply":{"name":"flow","body":"Sent",)"
      R"("response_json":"{\"flow_token\":\"t\"}"}}})");
  EXPECT_EQ(m.text, "Sent");
}

TEST(whatsapp_parse, template_quick_reply_button) {
  auto m = single(
      R"({"context":{"from":"15550783881","id":"wamid.TPL"},"from":"16505551234","id":"wamid.BTN",)"
      R"("timestamp":"1749416383","type":"button","button":{"payload":"No-Button-Payload","text":"No"}})");
  EXPECT_EQ(m.text, "No");
  EXPECT_EQ(m.reply_id, "No-Button-Payload");
  EXPECT_EQ(m.context_id, "wamid.TPL");
}

TEST(whatsapp_parse, reaction_with_emoji) {
  auto m =
      single(R"({"from":"16505551234","id":"wamid.RE","timestamp":"1749416383","type":"reaction",)"
             R"("reaction":{"message_id":"wamid.OURS","emoji":"\uD83D\uDC4D"}})");
  EXPECT_EQ(m.text, "\xF0\x9F\x91\x8D");
  EXPECT_EQ(m.reaction_to, "wamid.OURS");
  EXPECT_EQ(m.context_id, "");
  EXPECT_NE(m.raw.find(R"(\uD83D\uDC4D)"), std::string::npos);  // raw keeps Meta's escapes
}

TEST(whatsapp_parse, reaction_removed_has_no_emoji) {
  auto m =
      single(R"({"from":"16505551234","id":"wamid.RE2","timestamp":"1749416383","type":"reaction",)"
             R"("reaction":{"message_id":"wamid.OURS"}})");
  EXPECT_EQ(m.type, "reaction");
  EXPECT_EQ(m.text, "");
  EXPECT_EQ(m.reaction_to, "wamid.OURS");
}

TEST(whatsapp_parse, shared_contacts) {
  auto m = single(
      R"({"from":"16505551234","id":"wamid.CON","timestamp":"1749416383","type":"contacts",)"
      R"("contacts":[{"addresses":[{"city":"Menlo Park","country":"United States","type":"HOME"}],)"
      R"("birthday":"1999-01-23","emails":[{"email":"bjohnson@example.com","type":"WORK"}],)"
      R"("name":{"formatted_name":"Barbara J. Johnson","first_name":"Barbara","last_name":"Johnson"},)"
      R"("org":{"company":"Lucky Shrub"},"phones":[{"phone":"+1 (415) 555-0123","wa_id":"14155550123",)"
      R"("type":"MOBILE"}]},{"name":{"first_name":"Ann","last_name":"Lee"}}]})");
  EXPECT_EQ(m.text, "Barbara J. Johnson (+1 (415) 555-0123), Ann Lee");
  EXPECT_EQ(m.contact_name, "Sheena Nelson");  // value.contacts, not the shared cards
}

TEST(whatsapp_parse, order) {
  auto m = single(
      R"({"from":"16505551234","id":"wamid.ORD","timestamp":"1749416383","type":"order",)"
      R"("order":{"catalog_id":"194836987003835","text":"Hi, I'd like these",)"
      R"("product_items":[{"product_retailer_id":"di9ozbzfi4","quantity":2,"item_price":30,)"
      R"("currency":"USD"},{"product_retailer_id":"nqryix03ez","quantity":"1","item_price":25.5,)"
      R"("currency":"USD"}]}})");
  EXPECT_EQ(m.text,
            "Hi, I'd like these\nOrder: 2 x di9ozbzfi4 (30 USD), 1 x nqryix03ez (25.5 USD)");
}

TEST(whatsapp_parse, system_number_change) {
  auto m = single(
      R"({"from":"16505551234","id":"wamid.SYS","timestamp":"1749416383","type":"system",)"
      R"("system":{"body":"NAME changed from 16505551234 to 16505550000","new_wa_id":"16505550000",)"
      R"("type":"user_changed_number"}})");
  EXPECT_EQ(m.text, "NAME changed from 16505551234 to 16505550000");
}

TEST(whatsapp_parse, unsupported_with_errors) {
  auto m = single(
      R"({"from":"16505551234","id":"wamid.UNS","timestamp":"1749416383",)"
      R"("errors":[{"code":131051,"title":"Message type unknown","message":"Message type unknown",)"
      R"("error_data":{"details":"Message type is currently not supported."}}],"type":"unsupported"})");
  EXPECT_EQ(m.type, "unsupported");
  EXPECT_EQ(m.text, "");
  ASSERT_EQ(m.errors.size(), 1u);
  EXPECT_EQ(m.errors[0].code, 131051);
  EXPECT_EQ(m.errors[0].title, "Message type unknown");
  EXPECT_EQ(m.errors[0].message, "Message type unknown");
  EXPECT_EQ(m.errors[0].details, "Message type is currently not supported.");
}

TEST(whatsapp_parse, unknown_future_type_is_kept) {
  auto m =
      single(R"({"from":"16505551234","id":"wamid.NEW","timestamp":"1749416383","type":"hologram",)"
             R"("hologram":{"id":"42","depth":[1,2,{"x":null}]},"referral":{"source_type":"ad"}})");
  EXPECT_EQ(m.type, "hologram");
  EXPECT_EQ(m.text, "");
  EXPECT_FALSE(m.media.has_value());
}

TEST(whatsapp_parse, contact_name_matches_wa_id_only) {
  std::string inner =
      R"("contacts":[{"profile":{"name":"Someone Else"},"wa_id":"10000000000"}],)"
      R"("messages":[{"from":"16505551234","id":"wamid.X","timestamp":"1","type":"text","text":{"body":"a"}}])";
  auto r = parse_webhook(envelope({entry("1", {change(messages_value(kPhoneId, inner))})}));
  ASSERT_EQ(r.error, parse_errc::ok) << r.message;
  ASSERT_EQ(r.batch.messages.size(), 1u);
  EXPECT_EQ(r.batch.messages[0].contact_name, "");
}

// ---------------------------------------------------------------------------------------------
// Batches, statuses, other fields.

TEST(whatsapp_parse, batch_of_entries_and_changes_in_document_order) {
  auto msg = [](std::string_view id, std::string_view from) {
    return R"({"from":")" + std::string(from) + R"(","id":")" + std::string(id) +
           R"(","timestamp":"1749416383","type":"text","text":{"body":")" + std::string(id) +
           R"("}})";
  };
  auto st = [](std::string_view id, std::string_view status) {
    return R"({"id":")" + std::string(id) + R"(","status":")" + std::string(status) +
           R"(","timestamp":"1749416390","recipient_id":"16505551234"})";
  };
  std::string a = messages_value("111", R"("contacts":[{"profile":{"name":"Ann"},"wa_id":"1"}],)"
                                        R"("messages":[)" +
                                            msg("m1", "1") + "," + msg("m2", "1") +
                                            R"(],"statuses":[)" + st("s1", "sent") + "]");
  std::string b = messages_value("222", R"("messages":[ )" + msg("m3", "2") + " ]");
  std::string c = R"({"phone_number":"15550783881","event":"VERIFIED_ACCOUNT"})";
  std::string d =
      messages_value("111", R"("statuses":[)" + st("s2", "delivered") + ",\n  " + st("s3", "read") +
                                R"(],"messages":[)" + msg("m4", "3") + "]");
  std::string body = envelope({entry("waba-1", {change(a), change(b)}),
                               entry("waba-2", {change(c, "account_update"), change(d)})});
  auto r = parse_webhook(body);
  ASSERT_EQ(r.error, parse_errc::ok) << r.message;
  std::vector<std::string> wamids, phone_ids, statuses;
  for (const auto& m : r.batch.messages) {
    wamids.push_back(m.wamid);
    phone_ids.push_back(m.phone_number_id);
    EXPECT_EQ(m.text, m.wamid);
    EXPECT_EQ(m.raw, msg(m.wamid, m.from));
  }
  for (const auto& s : r.batch.statuses) {
    statuses.push_back(s.wamid + ":" + s.status + "@" + s.phone_number_id);
    EXPECT_EQ(s.raw, st(s.wamid, s.status));
  }
  EXPECT_EQ(wamids, (std::vector<std::string>{"m1", "m2", "m3", "m4"}));
  EXPECT_EQ(phone_ids, (std::vector<std::string>{"111", "111", "222", "111"}));
  EXPECT_EQ(statuses, (std::vector<std::string>{"s1:sent@111", "s2:delivered@111", "s3:read@111"}));
  EXPECT_EQ(r.batch.phone_number_ids, (std::vector<std::string>{"111", "222"}));
  EXPECT_EQ(r.batch.messages[0].contact_name, "Ann");
  ASSERT_EQ(r.batch.others.size(), 1u);
  EXPECT_EQ(r.batch.others[0].field, "account_update");
  EXPECT_EQ(r.batch.others[0].raw, c);
  EXPECT_EQ(r.batch.others[0].entry_id, "waba-2");
}

TEST(whatsapp_parse, pretty_printed_payload_keeps_exact_raw) {
  std::string message =
      "{\n        \"from\" : \"16505551234\",\n        \"id\": \"wamid.P\",\n"
      "        \"timestamp\": \"1749416383\", \"type\": \"text\",\n"
      "        \"text\": { \"body\": \"a]}\\\"{[\", \"n\": 1.50e+2 }\n      }";
  std::string body =
      "\xEF\xBB\xBF\n{\n  \"object\": \"whatsapp_business_account\",\n"
      "  \"entry\": [ { \"id\": \"1\", \"changes\": [ { \"field\": \"messages\",\n"
      "    \"value\": { \"metadata\": { \"phone_number_id\": \"9\" },\n"
      "      \"messages\": [ " +
      message + " ] } } ] } ]\n}\n";
  auto r = parse_webhook(body);
  ASSERT_EQ(r.error, parse_errc::ok) << r.message;
  ASSERT_EQ(r.batch.messages.size(), 1u);
  EXPECT_EQ(r.batch.messages[0].raw, message);
  EXPECT_EQ(r.batch.messages[0].text, "a]}\"{[");
}

TEST(whatsapp_parse, statuses_with_pricing_and_conversation) {
  std::string sent =
      R"({"id":"wamid.OUT1","status":"sent","timestamp":"1750263773","recipient_id":"16505551234",)"
      R"("conversation":{"id":"6ceb9d929c8ad8bbf1a0a5b9d5a6b3c1","expiration_timestamp":"1750350173",)"
      R"("origin":{"type":"service"}},"pricing":{"billable":true,"pricing_model":"PMP",)"
      R"("category":"service","type":"regular"}})";
  std::string played =
      R"({"id":"wamid.OUT2","status":"played","timestamp":"1750263800","recipient_id":"16505551234"})";
  auto r = parse_webhook(with_statuses(sent + "," + played));
  ASSERT_EQ(r.error, parse_errc::ok) << r.message;
  ASSERT_EQ(r.batch.statuses.size(), 2u);
  const auto& s = r.batch.statuses[0];
  EXPECT_EQ(s.phone_number_id, kPhoneId);
  EXPECT_EQ(s.wamid, "wamid.OUT1");
  EXPECT_EQ(s.status, "sent");
  EXPECT_EQ(s.recipient_id, "16505551234");
  EXPECT_EQ(s.timestamp, 1750263773);
  EXPECT_EQ(s.conversation_id, "6ceb9d929c8ad8bbf1a0a5b9d5a6b3c1");
  EXPECT_EQ(s.pricing_category, "service");
  EXPECT_TRUE(s.errors.empty());
  EXPECT_EQ(s.raw, sent);
  EXPECT_EQ(r.batch.statuses[1].status, "played");
  EXPECT_TRUE(r.batch.messages.empty());
  EXPECT_EQ(r.batch.phone_number_ids, std::vector<std::string>{std::string(kPhoneId)});
}

TEST(whatsapp_parse, failed_status_with_errors) {
  auto r = parse_webhook(with_statuses(
      R"({"id":"wamid.OUT3","status":"failed","timestamp":"1750263900","recipient_id":"16505551234",)"
      R"("errors":[{"code":131047,"title":"Re-engagement message","message":"Re-engagement message",)"
      R"("error_data":{"details":"Message failed to send because more than 24 hours have passed since )"
      R"(the customer last replied to this number."},)"
      R"("href":"https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/"}]})"));
  ASSERT_EQ(r.error, parse_errc::ok) << r.message;
  ASSERT_EQ(r.batch.statuses.size(), 1u);
  const auto& s = r.batch.statuses[0];
  EXPECT_EQ(s.status, "failed");
  ASSERT_EQ(s.errors.size(), 1u);
  EXPECT_EQ(s.errors[0].code, 131047);
  EXPECT_EQ(s.errors[0].title, "Re-engagement message");
  EXPECT_NE(s.errors[0].details.find("24 hours"), std::string::npos);
  EXPECT_EQ(classify_failure(200, s.errors[0].code), failure_kind::permanent);
}

TEST(whatsapp_parse, value_level_errors_are_collected) {
  std::string inner =
      R"("errors":[{"code":131000,"title":"Something went wrong","message":"Something went wrong",)"
      R"("error_data":{"details":"Unknown error"}}])";
  auto r = parse_webhook(envelope({entry("1", {change(messages_value(kPhoneId, inner))})}));
  ASSERT_EQ(r.error, parse_errc::ok) << r.message;
  ASSERT_EQ(r.batch.errors.size(), 1u);
  EXPECT_EQ(r.batch.errors[0].code, 131000);
  EXPECT_EQ(r.batch.errors[0].details, "Unknown error");
  EXPECT_EQ(r.batch.phone_number_ids, std::vector<std::string>{std::string(kPhoneId)});
}

TEST(whatsapp_parse, account_update_is_kept_in_others) {
  std::string value = R"({"phone_number":"15550783881","event":"VERIFIED_ACCOUNT"})";
  std::string body =
      R"({"object":"whatsapp_business_account","entry":[{"id":"102290129340398","time":1739321024,)"
      R"("changes":[{"value":)" +
      value + R"(,"field":"account_update"}]}]})";
  auto r = parse_webhook(body);
  ASSERT_EQ(r.error, parse_errc::ok) << r.message;
  EXPECT_TRUE(r.batch.messages.empty());
  EXPECT_TRUE(r.batch.phone_number_ids.empty());
  ASSERT_EQ(r.batch.others.size(), 1u);
  EXPECT_EQ(r.batch.others[0].field, "account_update");
  EXPECT_EQ(r.batch.others[0].raw, value);
  EXPECT_EQ(r.batch.others[0].entry_id, "102290129340398");
}

TEST(whatsapp_parse, empty_entry_and_changes_are_fine) {
  EXPECT_EQ(parse_webhook(R"({"object":"whatsapp_business_account","entry":[]})").error,
            parse_errc::ok);
  EXPECT_EQ(
      parse_webhook(R"({"object":"whatsapp_business_account","entry":[{"id":"1","changes":[]}]})")
          .error,
      parse_errc::ok);
}

// ---------------------------------------------------------------------------------------------
// Errors and hostile input.

TEST(whatsapp_parse, invalid_json) {
  for (std::string_view body :
       {"", "   ", "{", "not json", R"({"object":"whatsapp_business_account",})",
        "{\"a\":\"\xff\"}", "{} {}", "[1,2"}) {
    auto r = parse_webhook(body);
    EXPECT_EQ(r.error, parse_errc::invalid_json) << body;
    EXPECT_FALSE(r.message.empty());
  }
}

TEST(whatsapp_parse, not_whatsapp) {
  for (std::string_view body :
       {R"({"object":"page","entry":[]})", R"({"entry":[]})", R"({"object":1,"entry":[]})", "[]",
        "\"whatsapp_business_account\"", "42", "null"}) {
    EXPECT_EQ(parse_webhook(body).error, parse_errc::not_whatsapp) << body;
  }
}

TEST(whatsapp_parse, bad_structure) {
  auto wrap = [](std::string_view message) { return with_message(message); };
  std::vector<std::string> bodies = {
      R"({"object":"whatsapp_business_account"})",
      R"({"object":"whatsapp_business_account","entry":{}})",
      R"({"object":"whatsapp_business_account","entry":[1]})",
      R"({"object":"whatsapp_business_account","entry":[{"changes":{}}]})",
      R"({"object":"whatsapp_business_account","entry":[{"changes":["x"]}]})",
      R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages"}]}]})",
      R"({"object":"whatsapp_business_account","entry":[{"changes":[{"field":"messages","value":[]}]}]})",
      wrap(R"({"from":"16505551234","timestamp":"1","type":"text","text":{"body":"no id"}})"),
      wrap(R"({"from":"16505551234","id":42,"timestamp":"1","type":"text"})"),
      wrap(R"({"from":"16505551234","id":"","timestamp":"1","type":"text"})"),
      wrap(R"({"id":"wamid.A","timestamp":"1","type":"text"})"),
      wrap(R"({"id":"wamid.A","from":"1","timestamp":"1"})"),
      wrap(R"("a string")"),
      with_statuses(R"({"status":"sent","timestamp":"1"})"),
      with_statuses(R"({"id":"wamid.S","timestamp":"1"})"),
      envelope({entry("1", {change(R"({"messages":{}})")})}),
      envelope({entry("1", {change(R"({"metadata":{"phone_number_id":"1"},"statuses":"x"})")})}),
      // Cannot be routed to a tenant without the phone number id.
      envelope({entry("1", {change(R"({"messages":[{"from":"1","id":"w","type":"text"}]})")})}),
  };
  for (const auto& body : bodies) {
    auto r = parse_webhook(body);
    EXPECT_EQ(r.error, parse_errc::bad_structure) << body;
    EXPECT_FALSE(r.message.empty());
    EXPECT_TRUE(r.batch.messages.empty());
  }
}

TEST(whatsapp_parse, wrong_types_are_tolerated_where_lenient) {
  auto m = single(
      R"({"from":"16505551234","id":"wamid.W","timestamp":1749416383,"type":"text","text":{"body":42},)"
      R"("context":"oops","errors":{"code":1},"extra":[[[[]]]]})");
  EXPECT_EQ(m.timestamp, 1749416383);
  EXPECT_EQ(m.text, "");
  EXPECT_EQ(m.context_id, "");
  EXPECT_TRUE(m.errors.empty());
  auto n = single(
      R"({"from":"16505551234","id":"wamid.N","timestamp":"soon","type":"image","image":"nope"})");
  EXPECT_EQ(n.timestamp, 0);
  EXPECT_FALSE(n.media.has_value());
  auto big = single(
      R"({"from":"16505551234","id":"wamid.B","timestamp":18446744073709551615,"type":"location",)"
      R"("location":{"latitude":1e308,"longitude":-0.0,"name":{"x":1}},)"
      R"("errors":[{"code":"131051"},{"code":1.5e300},7]})");
  EXPECT_EQ(big.timestamp, 0);
  ASSERT_EQ(big.errors.size(), 2u);
  EXPECT_EQ(big.errors[0].code, 131051);
  EXPECT_EQ(big.errors[1].code, 0);
  EXPECT_EQ(big.text, "(1e+308, -0)");
}

TEST(whatsapp_parse, huge_numbers_and_deep_nesting_never_crash) {
  std::string deep(100000, '[');
  deep += std::string(100000, ']');
  EXPECT_EQ(parse_webhook(deep).error, parse_errc::invalid_json);
  std::string deep_obj;
  for (int i = 0; i < 5000; ++i) deep_obj += R"({"a":)";
  deep_obj += "1" + std::string(5000, '}');
  EXPECT_EQ(parse_webhook(deep_obj).error, parse_errc::invalid_json);
  // Nesting simdjson accepts, inside a message: raw must still be exact.
  std::string nested = std::string(500, '[') + std::string(500, ']');
  std::string message = R"({"from":"1","id":"wamid.D","type":"text","x":)" + nested + "}";
  auto m = single(message);
  EXPECT_EQ(m.wamid, "wamid.D");
  for (std::string_view number :
       {"123456789012345678901234567890", "1e400", "-1e-400", "1.7976931348623157e309"}) {
    auto r = parse_webhook(with_message(R"({"from":"1","id":"w","type":"text","timestamp":)" +
                                        std::string(number) + "}"));
    EXPECT_NE(r.error, parse_errc::bad_structure) << number;  // either ok or invalid_json
  }
}

// Mutations and truncations of a realistic payload: the parser must only ever return a result.
TEST(whatsapp_parse, mutated_payloads_never_crash) {
  std::string base = with_message(
      R"({"context":{"from":"1","id":"wamid.Q"},"from":"16505551234","id":"wamid.F","timestamp":"1",)"
      R"("type":"interactive","interactive":{"type":"list_reply","list_reply":{"id":"a","title":"b"}}})");
  for (std::size_t n = 0; n <= base.size(); ++n) (void)parse_webhook(base.substr(0, n));
  std::mt19937 rng(12345);
  static const char kAlphabet[] = "{}[]\",:\\0123456789eE.-+ tfnul\x00\xff\xc3\xa9xyz";
  const std::string alphabet(kAlphabet, sizeof kAlphabet - 1);  // keeps the NUL
  int ok = 0;
  for (int i = 0; i < 5000; ++i) {
    std::string body = base;
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int e = 0; e < edits; ++e) {
      std::size_t at = rng() % body.size();
      char c = alphabet[rng() % alphabet.size()];
      switch (rng() % 3) {
        case 0:
          body[at] = c;
          break;
        case 1:
          body.insert(body.begin() + static_cast<std::ptrdiff_t>(at), c);
          break;
        default:
          body.erase(at, 1 + rng() % 8);
          break;
      }
      if (body.empty()) body = "{";
    }
    auto r = parse_webhook(body);
    if (r.error == parse_errc::ok) {
      ++ok;
      for (const auto& m : r.batch.messages) EXPECT_FALSE(m.raw.empty());
    }
  }
  EXPECT_GT(ok, 0);  // some mutations stay valid JSON and still parse
}

// ---------------------------------------------------------------------------------------------
// Status ordering.

TEST(whatsapp_status, ranks) {
  EXPECT_EQ(status_rank("sent"), 1);
  EXPECT_EQ(status_rank("delivered"), 2);
  EXPECT_EQ(status_rank("read"), 3);
  EXPECT_EQ(status_rank("played"), 3);
  EXPECT_EQ(status_rank("failed"), 4);
  EXPECT_EQ(status_rank("deleted"), 0);
  EXPECT_EQ(status_rank(""), 0);
  EXPECT_EQ(status_rank("READ"), 0);
}

TEST(whatsapp_status, advances_table) {
  struct row {
    std::string_view current, next;
    bool advances;
  };
  const row table[] = {
      {"", "sent", true},           {"", "delivered", true},        {"", "failed", true},
      {"", "mystery", false},       {"sent", "delivered", true},    {"sent", "read", true},
      {"sent", "sent", false},      {"delivered", "read", true},    {"delivered", "sent", false},
      {"read", "delivered", false}, {"read", "sent", false},        {"read", "played", false},
      {"played", "read", false},    {"delivered", "played", true},  {"read", "failed", true},
      {"failed", "read", false},    {"failed", "delivered", false}, {"failed", "sent", false},
      {"failed", "failed", false},  {"read", "mystery", false},     {"mystery", "sent", true},
  };
  for (const auto& r : table) {
    EXPECT_EQ(status_advances(r.current, r.next), r.advances) << r.current << " -> " << r.next;
  }
}

// ---------------------------------------------------------------------------------------------
// Sending.

TEST(whatsapp_send, text_message_body) {
  EXPECT_EQ(build_text_message("16505551234", "Hi there"),
            R"({"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234",)"
            R"("type":"text","text":{"body":"Hi there","preview_url":false}})");
  EXPECT_EQ(build_text_message("16505551234", "Yes", "wamid.ABC="),
            R"({"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234",)"
            R"("type":"text","text":{"body":"Yes","preview_url":false},)"
            R"("context":{"message_id":"wamid.ABC="}})");
}

TEST(whatsapp_send, a_bubble_key_rides_as_callback_data_and_reads_back) {
  EXPECT_EQ(build_text_message("16505551234", "Yes", "", bubble_key(42)),
            R"({"messaging_product":"whatsapp","recipient_type":"individual","to":"16505551234",)"
            R"("type":"text","text":{"body":"Yes","preview_url":false},)"
            R"("biz_opaque_callback_data":"pb:42"})");
  EXPECT_EQ(bubble_of(bubble_key(9007199254740993)), 9007199254740993);
  for (std::string_view other :
       {"", "pb:", "pb:12a", "pb:-3", "xx:12", "pb:99999999999999999999", "campaign-7", "pb:1 "})
    EXPECT_EQ(bubble_of(other), 0) << other;
}

TEST(whatsapp_webhook, a_status_carries_the_callback_data_its_message_was_sent_with) {
  auto r = parse_webhook(
      with_statuses(R"({"id":"wamid.S1","status":"sent","timestamp":"1","recipient_id":"1",)"
                    R"("biz_opaque_callback_data":"pb:77"})"));
  ASSERT_EQ(r.error, parse_errc::ok) << r.message;
  ASSERT_EQ(r.batch.statuses.size(), 1u);
  EXPECT_EQ(r.batch.statuses[0].callback_data, "pb:77");
  EXPECT_EQ(bubble_of(r.batch.statuses[0].callback_data), 77);
}

TEST(whatsapp_send, text_message_escapes_and_round_trips) {
  const std::string body =
      "He said \"hi\"\\ \nnext line\r\n\ttab \x01 caf\xC3\xA9 \xF0\x9F\x98\x80 \xE2\x80\xA8 "
      "</script>";
  std::string json = build_text_message("16505551234", body, "wamid.\"q\"");
  EXPECT_EQ(json.find('\n'), std::string::npos);
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(json).get(doc)) << json;
  std::string_view got;
  ASSERT_FALSE(doc["text"]["body"].get_string().get(got));
  EXPECT_EQ(got, body);
  ASSERT_FALSE(doc["context"]["message_id"].get_string().get(got));
  EXPECT_EQ(got, "wamid.\"q\"");
  bool preview = true;
  ASSERT_FALSE(doc["text"]["preview_url"].get_bool().get(preview));
  EXPECT_FALSE(preview);
  EXPECT_TRUE(doc["context"].error() == simdjson::SUCCESS);
}

TEST(whatsapp_send, invalid_utf8_is_replaced_so_json_stays_valid) {
  std::string json = build_text_message("1", "ok \xC3 \xFF\xFE end \xED\xA0\x80");
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  ASSERT_FALSE(parser.parse(json).get(doc)) << json;
  std::string_view got;
  ASSERT_FALSE(doc["text"]["body"].get_string().get(got));
  EXPECT_EQ(got,
            "ok \xEF\xBF\xBD \xEF\xBF\xBD\xEF\xBF\xBD end \xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");
}

TEST(whatsapp_send, mark_read_body) {
  EXPECT_EQ(build_mark_read("wamid.X"),
            R"({"messaging_product":"whatsapp","status":"read","message_id":"wamid.X"})");
}

TEST(whatsapp_send, parse_accepted_response) {
  auto r = parse_send_response(
      200,
      R"({"messaging_product":"whatsapp","contacts":[{"input":"+16505551234","wa_id":"16505551234"}],)"
      R"("messages":[{"id":"wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA",)"
      R"("message_status":"accepted"}]})");
  EXPECT_TRUE(r.ok);
  EXPECT_EQ(r.wamid, "wamid.HBgLMTY1MDUwNzY1MjAVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA");
  EXPECT_EQ(r.error.code, 0);
}

TEST(whatsapp_send, parse_error_response) {
  auto r = parse_send_response(
      400,
      R"({"error":{"message":"(#131047) Re-engagement message","type":"OAuthException","code":131047,)"
      R"("error_data":{"messaging_product":"whatsapp","details":"Message failed to send because more )"
      R"(than 24 hours have passed since the customer last replied to this number."},)"
      R"("fbtrace_id":"Az8or2yhqkZfEZ-_4Qn_Bam"}})");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, 131047);
  EXPECT_EQ(r.error.message, "(#131047) Re-engagement message");
  EXPECT_EQ(r.error.title, "OAuthException");
  EXPECT_NE(r.error.details.find("24 hours"), std::string::npos);
  EXPECT_EQ(classify_failure(400, r.error.code), failure_kind::permanent);
}

TEST(whatsapp_send, parse_expired_token_response) {
  auto r = parse_send_response(
      401, R"({"error":{"message":"Error validating access token: Session has expired.",)"
           R"("type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A1"}})");
  EXPECT_FALSE(r.ok);
  EXPECT_EQ(r.error.code, 190);
  EXPECT_EQ(classify_failure(401, r.error.code), failure_kind::auth);
}

TEST(whatsapp_send, parse_non_json_and_odd_responses) {
  auto gateway = parse_send_response(502, "<html><body>Bad Gateway</body></html>");
  EXPECT_FALSE(gateway.ok);
  EXPECT_EQ(gateway.error.code, 0);
  EXPECT_EQ(gateway.error.message.rfind("HTTP 502", 0), 0u) << gateway.error.message;
  EXPECT_EQ(classify_failure(502, gateway.error.code), failure_kind::retry);

  auto transport = parse_send_response(0, "");
  EXPECT_FALSE(transport.ok);
  EXPECT_EQ(transport.error.message, "transport failure");

  EXPECT_FALSE(parse_send_response(200, R"({"messages":[]})").ok);
  EXPECT_FALSE(parse_send_response(200, R"({"messages":[{"id":7}]})").ok);
  EXPECT_FALSE(parse_send_response(200, "").ok);
  EXPECT_FALSE(parse_send_response(200, R"({"messages":[{"id":""}]})").ok);
  auto no_code = parse_send_response(400, R"({"error":{"message":"bad"}})");
  EXPECT_EQ(no_code.error.code, 0);
  EXPECT_EQ(no_code.error.message, "bad");
  // An id in a non-2xx answer is not a success.
  EXPECT_FALSE(parse_send_response(500, R"({"messages":[{"id":"wamid.X"}]})").ok);
}

TEST(whatsapp_send, classify_failure_table) {
  struct row {
    int http;
    int64_t code;
    failure_kind kind;
  };
  const row table[] = {
      {400, 130429, failure_kind::rate_limited},
      {400, 4, failure_kind::rate_limited},
      {400, 80007, failure_kind::rate_limited},
      {400, 131056, failure_kind::rate_limited},
      {429, 130429, failure_kind::rate_limited},
      {500, 131000, failure_kind::retry},
      {400, 131016, failure_kind::retry},
      {500, 1, failure_kind::retry},
      {500, 2, failure_kind::retry},
      {503, 0, failure_kind::retry},
      {500, 0, failure_kind::retry},
      {408, 0, failure_kind::retry},
      {429, 0, failure_kind::retry},
      {0, 0, failure_kind::retry},
      {401, 0, failure_kind::auth},
      {403, 0, failure_kind::auth},
      {401, 190, failure_kind::auth},
      {403, 190, failure_kind::auth},
      {400, 190, failure_kind::auth},
      {400, 131026, failure_kind::permanent},
      {400, 131047, failure_kind::permanent},
      {400, 131048, failure_kind::permanent},
      {400, 131049, failure_kind::permanent},
      {403, 131031, failure_kind::permanent},
      {400, 131053, failure_kind::permanent},
      {400, 131051, failure_kind::permanent},
      {400, 100, failure_kind::permanent},
      {400, 0, failure_kind::permanent},
      {404, 0, failure_kind::permanent},
      {400, 999999, failure_kind::permanent},
      {500, 131026, failure_kind::permanent},
      {200, 131047, failure_kind::permanent},
  };
  for (const auto& r : table) {
    EXPECT_EQ(classify_failure(r.http, r.code), r.kind) << r.http << " / " << r.code;
  }
}

// ---------------------------------------------------------------------------------------------
// Bubbles.

TEST(whatsapp_bubbles, short_text_unchanged) {
  EXPECT_EQ(split_bubbles("Hello  world\n"), std::vector<std::string>{"Hello  world\n"});
  const std::string exact(4096, 'x');
  EXPECT_EQ(split_bubbles(exact), std::vector<std::string>{exact});
  EXPECT_TRUE(split_bubbles("").empty());
  EXPECT_TRUE(split_bubbles(" \n\t ").empty());
}

TEST(whatsapp_bubbles, long_text_splits_at_paragraphs_counting_code_points) {
  // ~1013 code points per paragraph, many multi-byte: 10 paragraphs make 3 bubbles of <=4 each.
  const std::string sentence = "Ol\xC3\xA1, o caf\xC3\xA9 \xC3\xA9 \xC3\xB3timo \xF0\x9F\x98\x80! ";
  std::string paragraph;
  while (code_points(paragraph) + code_points(sentence) <= 1012) paragraph += sentence;
  paragraph.pop_back();
  std::vector<std::string> paragraphs;
  std::string text;
  for (int i = 0; text.empty() || code_points(text) < 10000; ++i) {
    paragraphs.push_back(std::to_string(i) + " " + paragraph);
    text += (i ? "\n\n" : "") + paragraphs.back();
  }
  ASSERT_EQ(paragraphs.size(), 10u);
  auto bubbles = split_bubbles(text);
  ASSERT_EQ(bubbles.size(), 3u);
  std::string joined;
  for (const auto& b : bubbles) {
    EXPECT_LE(code_points(b), 4096u);
    EXPECT_GT(b.size(), 2048u);
    joined += b;
  }
  EXPECT_GT(bubbles[0].size(), 4096u);  // bytes exceed the limit, characters do not
  EXPECT_EQ(bubbles[0], paragraphs[0] + "\n\n" + paragraphs[1] + "\n\n" + paragraphs[2] + "\n\n" +
                            paragraphs[3]);
  EXPECT_EQ(bubbles[2], paragraphs[8] + "\n\n" + paragraphs[9]);
  EXPECT_EQ(strip_space(joined), strip_space(text));
}

TEST(whatsapp_bubbles, falls_back_to_sentences_then_words) {
  std::string text;
  for (int i = 0; code_points(text) < 10000; ++i) {
    text += "Sentence number " + std::to_string(i) + " is here, isn't it? ";
  }
  auto bubbles = split_bubbles(text);
  ASSERT_EQ(bubbles.size(), 3u);
  for (const auto& b : bubbles) {
    EXPECT_LE(code_points(b), 4096u);
    EXPECT_EQ(b.back(), '?');
    EXPECT_EQ(b.rfind("Sentence", 0), 0u);
  }
  std::string words;
  for (int i = 0; code_points(words) < 9000; ++i) words += "word" + std::to_string(i % 7) + " ";
  auto pieces = split_bubbles(words, 1000);
  for (const auto& p : pieces) {
    EXPECT_LE(code_points(p), 1000u);
    EXPECT_EQ(p.rfind("word", 0), 0u);
    EXPECT_NE(p.back(), ' ');
    EXPECT_TRUE(p.back() >= '0' && p.back() <= '6');  // never ends mid-word
  }
  EXPECT_EQ(split_bubbles("hello world foo bar", 10),
            (std::vector<std::string>{"hello", "world foo", "bar"}));
}

TEST(whatsapp_bubbles, prefers_a_late_line_break_over_an_early_paragraph) {
  std::string text =
      "Intro\n\n" + std::string(60, 'a') + "\n" + std::string(30, 'b') + " " + std::string(60, 'c');
  auto bubbles = split_bubbles(text, 100);
  ASSERT_EQ(bubbles.size(), 2u);
  EXPECT_EQ(bubbles[0], "Intro\n\n" + std::string(60, 'a'));
}

TEST(whatsapp_bubbles, single_huge_word_is_hard_split_on_code_points) {
  std::string word;
  const char* pieces[] = {"a", "\xC3\xA9", "\xF0\x9F\x98\x80", "\xE4\xB8\xAD"};
  for (int i = 0; i < 5000; ++i) word += pieces[i % 4];
  auto bubbles = split_bubbles(word);
  ASSERT_EQ(bubbles.size(), 2u);
  EXPECT_EQ(code_points(bubbles[0]), 4096u);
  EXPECT_EQ(code_points(bubbles[1]), 904u);
  EXPECT_EQ(bubbles[0] + bubbles[1], word);
  for (const auto& b : bubbles) EXPECT_TRUE(valid_utf8(b));
}

TEST(whatsapp_bubbles, hard_split_keeps_combining_marks_and_emoji_sequences) {
  // "e" + U+0301 must stay together.
  EXPECT_EQ(split_bubbles("aae\xCC\x81", 3), (std::vector<std::string>{"aa", "e\xCC\x81"}));
  // Thumbs up + skin tone modifier.
  EXPECT_EQ(split_bubbles("xx\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD", 3),
            (std::vector<std::string>{"xx", "\xF0\x9F\x91\x8D\xF0\x9F\x8F\xBD"}));
  // A flag is a pair of regional indicators.
  const std::string flag = "\xF0\x9F\x87\xA7\xF0\x9F\x87\xB7";
  EXPECT_EQ(split_bubbles("x" + flag + flag, 4), (std::vector<std::string>{"x" + flag, flag}));
}

TEST(whatsapp_bubbles, odd_inputs) {
  auto tiny = split_bubbles("abc", 0);
  EXPECT_EQ(tiny, (std::vector<std::string>{"a", "b", "c"}));
  std::string bad = std::string(10, '\xff') + " " + std::string(10, '\x80');
  auto bubbles = split_bubbles(bad, 8);
  std::string joined;
  for (const auto& b : bubbles) {
    EXPECT_LE(b.size(), 8u);
    EXPECT_FALSE(b.empty());
    joined += b;
  }
  EXPECT_EQ(joined, strip_space(bad));
  EXPECT_EQ(split_bubbles("  one.  two.  ", 5), (std::vector<std::string>{"one.", "two."}));
  EXPECT_EQ(split_bubbles("\xE4\xBD\xA0\xE5\xA5\xBD\xE3\x80\x82\xE5\x86\x8D\xE8\xA7\x81", 4),
            (std::vector<std::string>{"\xE4\xBD\xA0\xE5\xA5\xBD\xE3\x80\x82",
                                      "\xE5\x86\x8D\xE8\xA7\x81"}));
}
