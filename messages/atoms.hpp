#pragma once
// Atoms shared by parley's actors. At most 10 characters; only [0-9A-Za-z_ ] are distinct.
#include <caf/atom.hpp>

namespace parley {

using children_atom = caf::atom_constant<caf::atom("children")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;

}  // namespace parley
