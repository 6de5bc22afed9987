-- Cluster: which node runs which tenant. A lease row is the right to run the tenant's actors
-- until expires_at; epoch is the fencing token, raised every time the lease is taken anew, so
-- writes made under an older lease can be refused (see persistence/lease_store.hpp).
CREATE TABLE tenant_leases (
  tenant_id    uuid PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
  node         text NOT NULL,
  epoch        bigint NOT NULL CHECK (epoch > 0),
  expires_at   timestamptz NOT NULL,
  acquired_at  timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX tenant_leases_node ON tenant_leases (node);
