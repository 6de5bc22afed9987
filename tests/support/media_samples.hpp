#pragma once
// Realistic media bytes for tests: PNG images, PDFs with text, voice notes, and the webhook
// form of a digest (base64 of SHA-256).
#include <cstdint>
#include <string>
#include <vector>

namespace parley::test {

std::string make_png(uint32_t w, uint32_t h, bool noise = false);
/// A valid PDF with one page per text, standard Helvetica, xref offsets computed.
std::string make_pdf(const std::vector<std::string>& pages);
std::string random_bytes(std::size_t n, unsigned seed);
std::string ogg_voice_note();
/// The webhook form of a digest: base64 of the raw 32 bytes.
std::string webhook_sha256(const std::string& bytes);

}  // namespace parley::test
