#pragma once
// A media message to fetch, verify, store and describe (conversation -> tenant -> media agent).
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <cstdint>
#include <string>

namespace parley {

using media_atom = caf::atom_constant<caf::atom("media")>;

struct media_job {
  int64_t message_id = 0;
  std::string tenant_id;
  std::string channel_id;
  std::string type;  ///< image, audio, video, document, sticker
  std::string media_id;
  std::string mime_type;
  std::string sha256;
  std::string filename;
  bool voice = false;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, media_job& x) {
  return f(caf::meta::type_name("parley::media_job"), x.message_id, x.tenant_id, x.channel_id,
           x.type, x.media_id, x.mime_type, x.sha256, x.filename, x.voice);
}

}  // namespace parley
