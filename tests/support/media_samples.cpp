#include "tests/support/media_samples.hpp"

#include <zlib.h>

#include <cstdio>
#include <random>

#include "common/signature.hpp"

namespace parley::test {

namespace {

void put_be32(std::string& s, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8) s += char((v >> shift) & 0xFF);
}

void png_chunk(std::string& out, const char* type, const std::string& data) {
  put_be32(out, uint32_t(data.size()));
  std::string body = std::string{type} + data;
  out += body;
  put_be32(out, uint32_t(crc32(0, reinterpret_cast<const Bytef*>(body.data()), body.size())));
}

}  // namespace

std::string make_png(uint32_t w, uint32_t h, bool noise) {
  std::string out = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_be32(ihdr, w);
  put_be32(ihdr, h);
  ihdr += std::string{"\x08\x02\x00\x00\x00", 5};  // 8-bit RGB, no interlace
  png_chunk(out, "IHDR", ihdr);
  std::string raw;
  std::mt19937 rng{7};
  for (uint32_t y = 0; y < h; ++y) {
    raw += '\0';  // filter: none
    for (uint32_t x = 0; x < w * 3; ++x) raw += noise ? char(rng()) : char(x * 7 + y);
  }
  uLongf len = compressBound(raw.size());
  std::string z(len, '\0');
  compress(reinterpret_cast<Bytef*>(z.data()), &len, reinterpret_cast<const Bytef*>(raw.data()),
           raw.size());
  z.resize(len);
  png_chunk(out, "IDAT", z);
  png_chunk(out, "IEND", "");
  return out;
}

/// A valid PDF with one page per text, standard Helvetica, xref offsets computed.
std::string make_pdf(const std::vector<std::string>& pages) {
  int n = int(pages.size());
  int font = 3;  // objects: 1 catalog, 2 pages, 3 font, then page + content pairs
  std::vector<std::string> objs(3 + 2 * n + 1);
  objs[1] = "<< /Type /Catalog /Pages 2 0 R >>";
  std::string kids;
  for (int i = 0; i < n; ++i) kids += std::to_string(4 + 2 * i) + " 0 R ";
  objs[2] = "<< /Type /Pages /Kids [" + kids + "] /Count " + std::to_string(n) + " >>";
  objs[3] = "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>";
  for (int i = 0; i < n; ++i) {
    int page = 4 + 2 * i, content = page + 1;
    objs[page] =
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 " +
        std::to_string(font) + " 0 R >> >> /Contents " + std::to_string(content) + " 0 R >>";
    std::string stream = "BT /F1 24 Tf 72 700 Td (" + pages[i] + ") Tj ET";
    objs[content] =
        "<< /Length " + std::to_string(stream.size()) + " >>\nstream\n" + stream + "\nendstream";
  }
  std::string out = "%PDF-1.4\n%\xe2\xe3\xcf\xd3\n";
  std::vector<std::size_t> offsets(objs.size(), 0);
  for (std::size_t i = 1; i < objs.size(); ++i) {
    offsets[i] = out.size();
    out += std::to_string(i) + " 0 obj\n" + objs[i] + "\nendobj\n";
  }
  auto xref = out.size();
  out += "xref\n0 " + std::to_string(objs.size()) + "\n0000000000 65535 f \n";
  for (std::size_t i = 1; i < objs.size(); ++i) {
    char line[24];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", offsets[i]);
    out += line;
  }
  out += "trailer\n<< /Size " + std::to_string(objs.size()) + " /Root 1 0 R >>\nstartxref\n" +
         std::to_string(xref) + "\n%%EOF\n";
  return out;
}

std::string random_bytes(std::size_t n, unsigned seed) {
  std::mt19937 rng{seed};
  std::string s(n, '\0');
  for (auto& c : s) c = char(rng());
  return s;
}

std::string ogg_voice_note() {
  return "OggS" + std::string(1, '\0') + std::string{"\x02", 1} + random_bytes(3000, 11);
}

/// The webhook form of a digest: base64 of the raw 32 bytes.
std::string webhook_sha256(const std::string& bytes) {
  auto hex = common::sha256_hex(bytes);
  std::string raw;
  for (std::size_t i = 0; i < hex.size(); i += 2)
    raw += char(std::stoi(hex.substr(i, 2), nullptr, 16));
  static const char* tbl = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  for (std::size_t i = 0; i < raw.size(); i += 3) {
    uint32_t v = uint8_t(raw[i]) << 16;
    if (i + 1 < raw.size()) v |= uint8_t(raw[i + 1]) << 8;
    if (i + 2 < raw.size()) v |= uint8_t(raw[i + 2]);
    out += tbl[(v >> 18) & 63];
    out += tbl[(v >> 12) & 63];
    out += i + 1 < raw.size() ? tbl[(v >> 6) & 63] : '=';
    out += i + 2 < raw.size() ? tbl[v & 63] : '=';
  }
  return out;
}

}  // namespace parley::test
