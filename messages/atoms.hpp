#pragma once
// Atoms shared by parley's actors. At most 10 characters; only [0-9A-Za-z_ ] are distinct.
#include <caf/atom.hpp>

namespace parley {

using children_atom = caf::atom_constant<caf::atom("children")>;
using restart_atom = caf::atom_constant<caf::atom("restart")>;
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;
using ping_atom = caf::atom_constant<caf::atom("ping")>;
/// io -> tenants -> tenant -> its agents: the tenant's settings changed (or it was deleted).
using changed_atom = caf::atom_constant<caf::atom("tchanged")>;
/// io -> tenants -> tenant -> support: the tenant's knowledge changed: reload it.
using kb_changed_atom = caf::atom_constant<caf::atom("kbchanged")>;

}  // namespace parley
