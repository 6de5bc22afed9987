-- Tenancy and security: tenant settings and soft delete, API keys, the audit trail, and
-- row-level security on every tenant table.
--
-- Isolation: every transaction of the daemon sets parley.tenant_id (SET LOCAL) to the tenant it
-- works for, or to '*' for the few platform-wide operations (recovery at start, a webhook's
-- channel lookup, the platform admin's listings). Without the setting a query sees nothing,
-- whatever role runs it: FORCE applies the policies to the tables' owner too.

ALTER TABLE tenants
  ADD COLUMN status text NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'deleted')),
  ADD COLUMN deleted_at timestamptz,
  ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now(),
  ADD COLUMN allowed_origins text[] NOT NULL DEFAULT '{}',
  ADD COLUMN messages_per_minute integer NOT NULL DEFAULT 600 CHECK (messages_per_minute > 0),
  ADD COLUMN api_requests_per_minute integer NOT NULL DEFAULT 600 CHECK (api_requests_per_minute > 0),
  ADD COLUMN llm_tokens_per_day bigint NOT NULL DEFAULT 1000000 CHECK (llm_tokens_per_day >= 0),
  ADD COLUMN max_active_conversations integer NOT NULL DEFAULT 10000 CHECK (max_active_conversations > 0),
  ADD COLUMN handoff_message text NOT NULL DEFAULT
    'Te comunicamos con una persona de nuestro equipo. / We are connecting you with a person from our team.',
  ADD COLUMN handoff_hours integer NOT NULL DEFAULT 24 CHECK (handoff_hours BETWEEN 1 AND 720),
  ADD COLUMN notify_url text,
  ADD COLUMN notify_secret text;

CREATE TABLE api_keys (
  id            uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  prefix        text NOT NULL UNIQUE,       -- "pk_" + 8 chars: finds the row, never the key
  key_hash      text NOT NULL,              -- scrypt, salted
  role          text NOT NULL CHECK (role IN ('tenant_admin', 'agent', 'viewer')),
  name          text NOT NULL DEFAULT '',
  created_at    timestamptz NOT NULL DEFAULT now(),
  expires_at    timestamptz,                -- set by rotation: the grace period's end
  revoked_at    timestamptz,
  last_used_at  timestamptz
);
CREATE INDEX api_keys_tenant ON api_keys (tenant_id);

-- Append-only: who did what, when, from where. Updates and deletes are refused by a trigger,
-- for every role (a tenant purge removes its rows through the cascade only).
CREATE TABLE audit_log (
  id          bigserial PRIMARY KEY,
  tenant_id   uuid REFERENCES tenants (id) ON DELETE CASCADE,
  actor       text NOT NULL,      -- "admin", "key:pk_abcd1234", "token:<jti>", "anonymous"
  action      text NOT NULL,      -- tenant.created, credentials.rotated, token.denied, ...
  target      text NOT NULL DEFAULT '',
  outcome     text NOT NULL CHECK (outcome IN ('ok', 'denied', 'failed')),
  remote      text NOT NULL DEFAULT '',
  details     jsonb NOT NULL DEFAULT '{}',
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_log_tenant_time ON audit_log (tenant_id, created_at);
CREATE INDEX audit_log_time ON audit_log (created_at);

CREATE FUNCTION parley_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF TG_OP = 'DELETE' AND pg_trigger_depth() > 1 THEN
    RETURN OLD;  -- a tenant purge cascading
  END IF;
  RAISE EXCEPTION 'audit_log is append-only';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
  FOR EACH ROW EXECUTE FUNCTION parley_audit_append_only();

-- The tenant a transaction works for: set with set_config('parley.tenant_id', ..., true).
CREATE FUNCTION parley_tenant_visible(t uuid) RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT coalesce(current_setting('parley.tenant_id', true), '') = '*'
      OR t::text = coalesce(current_setting('parley.tenant_id', true), '') $$;

DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['channels', 'knowledge', 'webhook_payloads', 'conversations', 'messages',
                           'message_statuses', 'dead_letters', 'events', 'api_keys', 'audit_log'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('ALTER TABLE %I FORCE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY tenant_isolation ON %I USING (parley_tenant_visible(tenant_id)) '
                   'WITH CHECK (parley_tenant_visible(tenant_id))', t);
  END LOOP;
END $$;

-- events and audit_log rows may belong to no tenant (platform actions): visible to '*' only.
ALTER TABLE tenants ENABLE ROW LEVEL SECURITY;
ALTER TABLE tenants FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenants USING (parley_tenant_visible(id))
  WITH CHECK (parley_tenant_visible(id));

-- The daemon's own role, when the operator created one (scripts/pg does: parley_app), gets data
-- rights but owns nothing, so it can neither change the schema nor switch the policies off.
DO $$
BEGIN
  IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'parley_app') THEN
    GRANT USAGE ON SCHEMA public TO parley_app;
    GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO parley_app;
    GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO parley_app;
    REVOKE UPDATE, DELETE ON audit_log FROM parley_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT, INSERT, UPDATE, DELETE ON TABLES TO parley_app;
    ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO parley_app;
  END IF;
END $$;
