#pragma once
// A media message to fetch, verify, store and describe (conversation -> tenant -> media agent).
#include <caf/atom.hpp>
#include <caf/meta/type_name.hpp>
#include <caf/replies_to.hpp>
#include <caf/typed_actor.hpp>
#include <cstdint>
#include <string>

#include "messages/inbound.hpp"
#include "messages/introspection.hpp"

namespace parley {

using media_atom = caf::atom_constant<caf::atom("media")>;

struct media_job {
  int64_t message_id = 0;
  std::string tenant_id;
  std::string channel_id;
  std::string type;  ///< image, audio, video, document, sticker
  logic::media_reference media;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, media_job& x) {
  return f(caf::meta::type_name("parley::media_job"), x.message_id, x.tenant_id, x.channel_id,
           x.type, x.media);
}

/// A tenant's media agent: fetches, verifies, stores and describes one media message; the
/// answer is the description that joins the turn's text.
using media_actor = caf::typed_actor<caf::replies_to<media_atom, media_job>::with<std::string>,
                                     caf::replies_to<info_atom>::with<child_info>>;

}  // namespace parley
