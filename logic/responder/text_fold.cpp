// Text folding for the retrieval responder; see text_fold.hpp.
#include "logic/responder/text_fold.hpp"

#include <unicode/normalizer2.h>
#include <unicode/stringpiece.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <cstdint>
#include <iterator>
#include <limits>
#include <unordered_set>

namespace parley::logic::responder {

namespace {

using word_set = std::unordered_set<std::string_view>;

// Snowball's Spanish list (folded, so "él"/"el" and "más"/"mas" collapse) plus chat filler that
// says nothing about which KB entry is wanted. "estado" is left out: in support it is a noun
// ("estado del pedido").
constexpr std::string_view kSpanish[] = {
    "de", "la", "que", "el", "en", "y", "a", "los", "del", "se", "las", "por", "un", "para", "con",
    "no", "una", "su", "al", "lo", "como", "mas", "pero", "sus", "le", "ya", "o", "este", "si",
    "porque", "esta", "entre", "cuando", "muy", "sin", "sobre", "tambien", "me", "hasta", "hay",
    "donde", "quien", "desde", "todo", "nos", "durante", "todos", "uno", "les", "ni", "contra",
    "otros", "ese", "eso", "ante", "ellos", "e", "esto", "mi", "antes", "algunos", "unos", "yo",
    "otro", "otras", "otra", "tanto", "esa", "estos", "mucho", "quienes", "nada", "muchos", "cual",
    "cuales", "poco", "ella", "estar", "estas", "algunas", "algo", "nosotros", "mis", "tu", "te",
    "ti", "tus", "ellas", "nosotras", "vosotros", "vosotras", "os", "mio", "mia", "mios", "mias",
    "tuyo", "tuya", "tuyos", "tuyas", "suyo", "suya", "suyos", "suyas", "nuestro", "nuestra",
    "nuestros", "nuestras", "vuestro", "vuestra", "vuestros", "vuestras", "esos", "esas", "estoy",
    "estamos", "estais", "estan", "estes", "estemos", "esteis", "esten", "estaba", "estaban",
    "estuve", "estuvo", "he", "has", "ha", "hemos", "han", "haya", "hayan", "habia", "habian",
    "hubo", "hubiera", "habra", "habria", "soy", "eres", "es", "somos", "son", "sea", "sean",
    "seria", "era", "eran", "fui", "fue", "fueron", "fuera", "sera", "tengo", "tienes", "tiene",
    "tenemos", "tienen", "tenga", "tenia", "tuve", "tuvo", "ser", "haber", "tener", "hacer", "hago",
    "hace", "hacen", "u", "cuanto", "cuanta", "cuantos", "cuantas", "cuyo", "aqui", "alli", "ahi",
    "asi", "aun", "solo", "usted", "ustedes", "vos", "ud", "uds",
    // chat filler
    "hola", "holi", "buenas", "buenos", "buen", "tardes", "noches", "gracias", "muchas", "favor",
    "porfa", "porfavor", "quiero", "quisiera", "queria", "necesito", "saber", "puedo", "puede",
    "pueden", "podria", "podrian", "ayuda", "ayudar", "ayudame", "ayudarme", "saludos", "vale",
    "dime", "decirme"};

// NLTK's English list minus words that are also Spanish function words ("o", "y") or Spanish
// content words ("once"), plus chat filler.
constexpr std::string_view kEnglish[] = {
    "i", "me", "my", "myself", "we", "our", "ours", "ourselves", "you", "your", "yours", "yourself",
    "yourselves", "he", "him", "his", "himself", "she", "her", "hers", "herself", "it", "its",
    "itself", "they", "them", "their", "theirs", "themselves", "what", "which", "who", "whom",
    "this", "that", "these", "those", "am", "is", "are", "was", "were", "be", "been", "being",
    "have", "has", "had", "having", "do", "does", "did", "doing", "a", "an", "the", "and", "but",
    "if", "or", "because", "as", "until", "while", "of", "at", "by", "for", "with", "about",
    "against", "between", "into", "through", "during", "before", "after", "above", "below", "to",
    "from", "up", "down", "in", "out", "on", "off", "over", "under", "again", "further", "then",
    "here", "there", "when", "where", "why", "how", "all", "any", "both", "each", "few", "more",
    "most", "other", "some", "such", "no", "nor", "not", "only", "own", "same", "so", "than", "too",
    "very", "s", "t", "can", "will", "just", "don", "should", "now", "d", "ll", "m", "re", "ve",
    "ain", "aren", "couldn", "didn", "doesn", "hadn", "hasn", "haven", "isn", "mightn", "mustn",
    "needn", "shan", "shouldn", "wasn", "weren", "won", "wouldn", "could", "would", "might", "must",
    "shall", "may", "im", "ive", "dont", "cant", "wont", "u", "ur",
    // chat filler
    "hi", "hello", "hey", "thanks", "thank", "thx", "please", "pls", "want", "wanted", "need",
    "needed", "know", "tell", "like", "help", "ok", "okay"};

// Content words that give a one-word message ("precio?", "refund") its language; not stopwords.
constexpr std::string_view kSpanishHints[] = {
    "precio",  "precios",  "envio", "envios", "pedido",   "cita",       "citas",
    "horario", "tarjeta",  "pagar", "pago",   "devolver", "devolucion", "reembolso",
    "tienda",  "producto", "dias",  "manana", "hoy",      "ahora",      "entrega",
    "cuesta",  "cuestan",  "llega", "tarda",  "comprar"};
constexpr std::string_view kEnglishHints[] = {
    "price", "prices",   "shipping", "order",    "appointment", "hours", "card",
    "pay",   "payment",  "return",   "refund",   "store",       "shop",  "product",
    "days",  "tomorrow", "today",    "delivery", "cost",        "costs", "arrive",
    "buy",   "open",     "track",    "tracking"};

template <std::size_t N>
[[nodiscard]] word_set make_set(const std::string_view (&words)[N]) {
  return word_set(std::begin(words), std::end(words));
}

[[nodiscard]] const word_set& stopwords() {
  static const word_set set = [] {
    word_set s = make_set(kSpanish);
    s.insert(std::begin(kEnglish), std::end(kEnglish));
    return s;
  }();
  return set;
}

[[nodiscard]] const word_set& spanish_markers() {
  static const word_set set = [] {
    word_set s = make_set(kSpanish);
    s.insert(std::begin(kSpanishHints), std::end(kSpanishHints));
    return s;
  }();
  return set;
}

[[nodiscard]] const word_set& english_markers() {
  static const word_set set = [] {
    word_set s = make_set(kEnglish);
    s.insert(std::begin(kEnglishHints), std::end(kEnglishHints));
    return s;
  }();
  return set;
}

// ---- Unicode ----------------------------------------------------------------------------

[[nodiscard]] icu::UnicodeString decode(std::string_view utf8) {
  // ICU lengths are int32_t; a customer message beyond 2 GiB is not worth answering in full.
  const auto len =
      static_cast<int32_t>(std::min<std::size_t>(utf8.size(), std::numeric_limits<int32_t>::max()));
  // fromUTF8 substitutes U+FFFD for ill-formed sequences, which keeps word boundaries.
  return icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), len));
}

[[nodiscard]] bool droppable(UChar32 c) {
  return u_charType(c) == U_NON_SPACING_MARK ||
         u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT);
}

[[nodiscard]] icu::UnicodeString drop_marks(const icu::UnicodeString& text) {
  icu::UnicodeString out;
  for (int32_t i = 0; i < text.length(); i = text.moveIndex32(i, 1)) {
    const UChar32 c = text.char32At(i);
    if (!droppable(c)) out.append(c);
  }
  return out;
}

[[nodiscard]] std::string encode(const icu::UnicodeString& text) {
  std::string out;
  text.toUTF8String(out);
  return out;
}

// Compatibility decomposition (not just NFD) so full-width letters, ligatures and superscripts
// match their plain forms. Folding sits between two decompositions because case folding can
// itself emit combining marks ("İ" -> "i" + U+0307).
[[nodiscard]] icu::UnicodeString fold_unicode(icu::UnicodeString text) {
  UErrorCode status = U_ZERO_ERROR;
  const icu::Normalizer2* nfkd = icu::Normalizer2::getNFKDInstance(status);
  const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
  if (U_FAILURE(status)) return text.foldCase();  // ICU data missing: still case-insensitive
  text = nfkd->normalize(text, status);
  text.foldCase(U_FOLD_CASE_DEFAULT);
  text = nfkd->normalize(text, status);
  text = nfc->normalize(drop_marks(text), status);
  return text;
}

[[nodiscard]] bool word_char(UChar32 c) {
  return u_isalnum(c) != 0 || u_charType(c) == U_COMBINING_SPACING_MARK;
}

// Spanish-only letters (both cases) and punctuation; the combining acute, tilde and diaeresis
// catch input that arrives decomposed (NFD).
constexpr UChar32 kSpanishChars[] = {u'ñ', u'á', u'é', u'í', u'ó', u'ú', u'ü',  u'Ñ',  u'Á', u'É',
                                     u'Í', u'Ó', u'Ú', u'Ü', u'¿', u'¡', 0x301, 0x303, 0x308};

[[nodiscard]] bool spanish_char(UChar32 c) {
  return std::find(std::begin(kSpanishChars), std::end(kSpanishChars), c) !=
         std::end(kSpanishChars);
}

[[nodiscard]] int count_spanish_chars(std::string_view utf8) {
  int n = 0;
  const auto* s = reinterpret_cast<const uint8_t*>(utf8.data());
  const auto len = static_cast<int64_t>(utf8.size());
  for (int64_t i = 0; i < len;) {
    UChar32 c = 0;
    U8_NEXT(s, i, len, c);  // c < 0 on ill-formed input, which simply does not count
    if (spanish_char(c)) ++n;
  }
  return n;
}

// ---- stemming ---------------------------------------------------------------------------

[[nodiscard]] bool ends_with(const std::string& s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix.data(), suffix.size()) == 0;
}

[[nodiscard]] bool has_vowel(std::string_view s) {
  return s.find_first_of("aeiouy") != std::string_view::npos;
}

[[nodiscard]] bool latin_letters_only(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return c >= 'a' && c <= 'z'; });
}

// "-ss", "-us", "-is" are mostly singulars: "address", "status", "gratis", "analisis".
bool strip_plural(std::string& s) {
  if (s.size() >= 5 && ends_with(s, "ies")) {
    s.replace(s.size() - 3, 3, "y");
    return true;
  }
  if (s.size() >= 4 && ends_with(s, "s") && !ends_with(s, "ss") && !ends_with(s, "us") &&
      !ends_with(s, "is")) {
    s.pop_back();
    return true;
  }
  return false;
}

// "shipp" -> "ship" after "-ing"/"-ed"; not l/s/z, whose doubles are usually in the root.
void undouble(std::string& s) {
  const auto n = s.size();
  if (n >= 4 && s[n - 1] == s[n - 2] &&
      std::string_view("bdfgmnprt").find(s[n - 1]) != std::string_view::npos) {
    s.pop_back();
  }
}

// English verb endings. The remaining stem must keep a vowel so "thing"/"bring"/"need" stay.
void strip_verb_suffix(std::string& s) {
  if (s.size() >= 5 && ends_with(s, "ied")) {
    s.replace(s.size() - 3, 3, "y");
    return;
  }
  for (std::string_view suffix : {std::string_view("ing"), std::string_view("ed")}) {
    if (!ends_with(s, suffix)) continue;
    const std::string_view root(s.data(), s.size() - suffix.size());
    if (root.size() < 3 || !has_vowel(root)) return;
    s.resize(root.size());
    undouble(s);
    return;
  }
}

// Dropping a final "e" makes "take"/"taking", "price"/"priced" and Spanish "-es" plurals
// ("meses"/"mes", "devoluciones"/"devolucion") meet on one stem.
void strip_final_e(std::string& s) {
  if (s.size() >= 4 && s.back() == 'e') s.pop_back();
}

[[nodiscard]] bool greeting_pair(std::string_view first, std::string_view second) {
  static const word_set es_first{"buenos", "buenas", "buen"};
  static const word_set es_second{"dias", "dia", "tardes", "noches"};
  static const word_set en_second{"morning", "afternoon", "evening", "night", "day"};
  return (es_first.count(first) && es_second.count(second)) ||
         (first == "good" && en_second.count(second));
}

}  // namespace

std::string fold(std::string_view utf8) {
  if (utf8.empty()) return {};
  return encode(fold_unicode(decode(utf8)));
}

std::vector<std::string> split_words(std::string_view utf8) {
  const std::string folded = fold(utf8);
  std::vector<std::string> words;
  const auto* s = reinterpret_cast<const uint8_t*>(folded.data());
  const auto len = static_cast<int64_t>(folded.size());
  int64_t start = -1;
  for (int64_t i = 0; i < len;) {
    const int64_t at = i;
    UChar32 c = 0;
    U8_NEXT(s, i, len, c);
    if (c >= 0 && word_char(c)) {
      if (start < 0) start = at;
      continue;
    }
    if (start >= 0) words.emplace_back(folded, start, at - start);
    start = -1;
  }
  if (start >= 0) words.emplace_back(folded, start, len - start);
  return words;
}

bool is_stopword(std::string_view folded_word) {
  return stopwords().count(folded_word) > 0;
}

std::string stem(std::string_view folded_word) {
  std::string s(folded_word);
  if (!latin_letters_only(s)) return s;  // numbers, codes and other scripts stay as typed
  strip_plural(s);
  strip_verb_suffix(s);
  strip_final_e(s);
  return s;
}

std::vector<std::string> tokenize(std::string_view utf8) {
  const std::vector<std::string> words = split_words(utf8);
  std::vector<std::string> terms;
  terms.reserve(words.size());
  for (std::size_t i = 0; i < words.size(); ++i) {
    if (i + 1 < words.size() && greeting_pair(words[i], words[i + 1])) {
      ++i;  // "buenos días" is a greeting, not a question about delivery days
      continue;
    }
    const std::string& w = words[i];
    if (is_stopword(w)) continue;
    if (w.size() == 1 && w[0] >= 'a' && w[0] <= 'z') continue;  // stray letters carry nothing
    terms.push_back(stem(w));
  }
  return terms;
}

std::string detect_language(std::string_view utf8) {
  const word_set& es = spanish_markers();
  const word_set& en = english_markers();
  int es_score = count_spanish_chars(utf8);
  int en_score = 0;
  for (const std::string& w : split_words(utf8)) {
    const bool in_es = es.count(w) > 0;
    const bool in_en = en.count(w) > 0;
    if (in_es && !in_en) ++es_score;
    if (in_en && !in_es) ++en_score;
  }
  return es_score > en_score ? "es" : "en";
}

}  // namespace parley::logic::responder
