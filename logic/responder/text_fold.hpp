#pragma once
// Text folding for the retrieval responder (owned by the responder component; used by
// knowledge_index and by anything that needs to compare customer text with KB text).
//
// Everything here is language-agnostic on purpose: a tenant's KB and its customers mix Spanish
// and English, so one pipeline must treat "Envíos", "ENVIOS" and "envio" as the same term.
// All functions are pure and thread-safe; invalid UTF-8 is replaced with U+FFFD, never UB.
#include <string>
#include <string_view>
#include <vector>

namespace parley::logic::responder {

/// Lower-case (full case folding: "straße" -> "strasse"), compatibility-decomposed, with
/// nonspacing marks and default-ignorable code points removed, then NFC. "Canción" -> "cancion".
[[nodiscard]] std::string fold(std::string_view utf8);

/// Folded runs of letters/digits, in order, before stopword removal and stemming.
[[nodiscard]] std::vector<std::string> split_words(std::string_view utf8);

/// True for Spanish/English function words and chat filler ("hola", "please") in folded form.
[[nodiscard]] bool is_stopword(std::string_view folded_word);

/// Conservative suffix stripping of one folded word: plurals (-s, -es, -ies), -ing, -ed and a
/// final -e, so "devoluciones"/"devolución" and "shipping"/"shipped"/"ships" meet.
[[nodiscard]] std::string stem(std::string_view folded_word);

/// Index terms: folded words without stopwords, stemmed.
[[nodiscard]] std::vector<std::string> tokenize(std::string_view utf8);

/// "es" or "en" from function words and Spanish-only characters; "en" when unsure.
[[nodiscard]] std::string detect_language(std::string_view utf8);

}  // namespace parley::logic::responder
