#include "common/security/jwt.hpp"

#include <jwt.h>
#include <simdjson.h>

#include <cstdio>
#include <cstdlib>
#include <limits>
#include <memory>

#include "common/codec.hpp"
#include "common/security/api_keys.hpp"

namespace parley::common::security {
namespace {

// Real tokens are a few hundred bytes; the cap bounds the work an anonymous caller can cause.
constexpr std::size_t kMaxToken = 8192;

struct jwt_deleter {
  void operator()(jwt_t* j) const { jwt_free(j); }
};
using jwt_ptr = std::unique_ptr<jwt_t, jwt_deleter>;

struct c_free {
  void operator()(char* s) const { std::free(s); }  // libjwt 1.10 has no jwt_free_str
};
using c_string = std::unique_ptr<char, c_free>;

struct parts {
  std::string_view header;
  std::string_view payload;
  std::string_view signature;
};

std::optional<parts> split_token(std::string_view token) {
  if (token.empty() || token.size() > kMaxToken) return std::nullopt;
  auto d1 = token.find('.');
  if (d1 == std::string_view::npos) return std::nullopt;
  auto d2 = token.find('.', d1 + 1);
  if (d2 == std::string_view::npos || token.find('.', d2 + 1) != std::string_view::npos)
    return std::nullopt;
  parts p{token.substr(0, d1), token.substr(d1 + 1, d2 - d1 - 1), token.substr(d2 + 1)};
  // An empty signature part is the shape of an alg "none" token; it is still split so the
  // caller can report it as a wrong algorithm rather than as garbage.
  for (std::string_view part : {p.header, p.payload, p.signature})
    for (char c : part)
      if (!common::is_base64url_char(c)) return std::nullopt;  // also rejects an embedded NUL
  if (p.header.empty() || p.payload.empty()) return std::nullopt;
  return p;
}

struct header_fields {
  std::string alg;
  std::optional<std::string> kid;
};

// false when the header is not a JSON object, has a non-string or repeated alg/kid (parsers
// disagree on which duplicate wins), or uses "crit": we understand no extensions, and RFC 7515
// says a token naming one we don't know is invalid.
bool parse_header(std::string_view b64, header_fields& out) {
  auto json = common::base64url_decode(b64);
  if (!json) return false;
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(simdjson::padded_string(*json)).get(obj) != simdjson::SUCCESS) return false;
  bool seen_alg = false;
  for (auto field : obj) {
    std::string_view s;
    if (field.key == "alg") {
      if (seen_alg || field.value.get(s) != simdjson::SUCCESS) return false;
      out.alg = std::string(s);
      seen_alg = true;
    } else if (field.key == "kid") {
      if (out.kid || field.value.get(s) != simdjson::SUCCESS) return false;
      out.kid = std::string(s);
    } else if (field.key == "crit") {
      return false;
    }
  }
  return true;
}

enum class claims_status { ok, malformed, missing };

claims_status parse_claims(const std::string& json, token_claims& c) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::object obj;
  if (parser.parse(simdjson::padded_string(json)).get(obj) != simdjson::SUCCESS)
    return claims_status::malformed;
  bool has_exp = false;
  bool has_iss = false;
  for (auto field : obj) {
    std::string_view k = field.key;
    std::string_view s;
    auto str = [&](std::string& dst) {
      if (field.value.get(s) != simdjson::SUCCESS) return false;
      dst = std::string(s);
      return true;
    };
    bool ok = true;
    if (k == "tenantId") {
      ok = str(c.tenant_id);
    } else if (k == "role") {
      ok = str(c.role);
    } else if (k == "origin") {
      ok = str(c.origin);
    } else if (k == "jti") {
      ok = str(c.token_id);
    } else if (k == "iss") {
      ok = field.value.get(s) == simdjson::SUCCESS;
      if (ok && s != kTokenIssuer) return claims_status::missing;
      has_iss = true;
    } else if (k == "iat") {
      ok = field.value.get(c.issued_at) == simdjson::SUCCESS;
    } else if (k == "exp") {
      ok = field.value.get(c.expires_at) == simdjson::SUCCESS;
      has_exp = true;
    } else if (k == "permissions") {
      simdjson::dom::array arr;
      ok = field.value.get(arr) == simdjson::SUCCESS;
      c.permissions.clear();
      if (ok) {
        for (auto e : arr) {
          if (e.get(s) != simdjson::SUCCESS) return claims_status::malformed;
          c.permissions.emplace_back(s);
        }
      }
    }
    if (!ok) return claims_status::malformed;
  }
  if (c.tenant_id.empty() || !has_exp || !has_iss) return claims_status::missing;
  return claims_status::ok;
}

}  // namespace

std::string_view to_string(token_error e) {
  switch (e) {
    case token_error::none:
      return "none";
    case token_error::malformed:
      return "malformed";
    case token_error::bad_signature:
      return "bad_signature";
    case token_error::expired:
      return "expired";
    case token_error::wrong_algorithm:
      return "wrong_algorithm";
    case token_error::missing_claims:
      return "missing_claims";
  }
  return "unknown";
}

std::string issue_token(const token_claims& claims, std::string_view signing_key) {
  if (signing_key.empty() || claims.tenant_id.empty() ||
      signing_key.size() > std::size_t(std::numeric_limits<int>::max()))
    return {};
  jwt_t* raw = nullptr;
  if (jwt_new(&raw) != 0) return {};
  jwt_ptr j(raw);
  if (jwt_set_alg(j.get(), JWT_ALG_HS256,
                  reinterpret_cast<const unsigned char*>(signing_key.data()),
                  int(signing_key.size())) != 0)
    return {};

  const std::string jti = claims.token_id.empty() ? random_token(16) : claims.token_id;
  if (jti.empty()) return {};
  std::string perms = "{\"permissions\":[";
  for (std::size_t i = 0; i < claims.permissions.size(); ++i) {
    if (i) perms += ',';
    perms += '"';
    common::json_escape(perms, claims.permissions[i]);
    perms += '"';
  }
  perms += "]}";

  // The std::string members are NUL-terminated; an embedded NUL would silently truncate a claim,
  // so refuse it instead.
  for (const std::string* s :
       {&claims.tenant_id, &claims.role, &claims.origin, &claims.key_id, &jti})
    if (s->find('\0') != std::string::npos) return {};

  bool ok =
      (claims.key_id.empty() || jwt_add_header(j.get(), "kid", claims.key_id.c_str()) == 0) &&
      jwt_add_grant(j.get(), "iss", std::string(kTokenIssuer).c_str()) == 0 &&
      jwt_add_grant(j.get(), "tenantId", claims.tenant_id.c_str()) == 0 &&
      jwt_add_grant(j.get(), "role", claims.role.c_str()) == 0 &&
      (claims.origin.empty() || jwt_add_grant(j.get(), "origin", claims.origin.c_str()) == 0) &&
      jwt_add_grant(j.get(), "jti", jti.c_str()) == 0 &&
      jwt_add_grant_int(j.get(), "iat", long(claims.issued_at)) == 0 &&
      jwt_add_grant_int(j.get(), "exp", long(claims.expires_at)) == 0 &&
      jwt_add_grants_json(j.get(), perms.c_str()) == 0;
  if (!ok) return {};
  c_string encoded(jwt_encode_str(j.get()));
  return encoded ? std::string(encoded.get()) : std::string();
}

std::optional<std::string> jwt_key_id(std::string_view token) {
  auto p = split_token(token);
  header_fields h;
  if (!p || !parse_header(p->header, h)) return std::nullopt;
  return h.kid;
}

std::optional<token_claims> verify_token(std::string_view token, std::string_view signing_key,
                                         int64_t now, token_error& why, int64_t leeway_s) {
  why = token_error::malformed;
  auto p = split_token(token);
  header_fields h;
  if (!p || !parse_header(p->header, h)) return std::nullopt;
  // Decided from our own reading of the header before libjwt runs: whatever the library does with
  // "none" or a different HMAC, such tokens never reach it.
  if (h.alg != "HS256") {
    why = token_error::wrong_algorithm;
    return std::nullopt;
  }
  auto payload = common::base64url_decode(p->payload);
  if (!payload) return std::nullopt;
  token_claims c;
  claims_status status = parse_claims(*payload, c);
  if (status == claims_status::malformed) return std::nullopt;

  why = token_error::bad_signature;
  if (signing_key.empty() || p->signature.empty() ||
      signing_key.size() > std::size_t(std::numeric_limits<int>::max()))
    return std::nullopt;
  std::string copy(token);  // libjwt wants a NUL-terminated string
  jwt_t* raw = nullptr;
  int rc =
      jwt_decode(&raw, copy.c_str(), reinterpret_cast<const unsigned char*>(signing_key.data()),
                 int(signing_key.size()));
  jwt_ptr j(raw);
  if (rc != 0 || !j) return std::nullopt;
  if (jwt_get_alg(j.get()) != JWT_ALG_HS256) {
    why = token_error::wrong_algorithm;
    return std::nullopt;
  }

  // Claims are judged only after the signature: an unsigned token learns nothing from the answer.
  if (status == claims_status::missing) {
    why = token_error::missing_claims;
    return std::nullopt;
  }
  int64_t leeway = leeway_s > 0 ? leeway_s : 0;
  bool expired =
      c.expires_at <= std::numeric_limits<int64_t>::max() - leeway && now >= c.expires_at + leeway;
  if (expired) {
    why = token_error::expired;
    return std::nullopt;
  }
  c.key_id = h.kid.value_or("");
  why = token_error::none;
  return c;
}

}  // namespace parley::common::security
