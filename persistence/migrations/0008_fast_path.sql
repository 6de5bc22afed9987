-- The message path at speed (see docs/performance.md).
--
-- Row-level security compares uuids, not text: the old policy cast every row's tenant_id to
-- text, and its OR of two text comparisons made the planner expect almost no visible rows, so
-- it chose hash joins over sequential scans of growing tables. A scope that is not a uuid (or
-- '*') is never set: set_scope turns it into '' (sees nothing).
CREATE OR REPLACE FUNCTION parley_tenant_visible(t uuid) RETURNS boolean
  LANGUAGE sql STABLE PARALLEL SAFE AS $$
  SELECT t = nullif(nullif(current_setting('parley.tenant_id', true), ''), '*')::uuid
      OR current_setting('parley.tenant_id', true) = '*' $$;

-- No foreign keys from the hot tables: every check took a KEY SHARE lock on one of a handful
-- of tenant, channel or conversation rows, from every writer at once (multixacts), and a
-- sequential scan of tenants per row. The rows are written by parley's own code from verified
-- ids; a tenant's purge deletes them explicitly (purge_tenant), in one transaction.
ALTER TABLE messages DROP CONSTRAINT IF EXISTS messages_tenant_id_fkey,
                     DROP CONSTRAINT IF EXISTS messages_conversation_id_fkey;
ALTER TABLE events DROP CONSTRAINT IF EXISTS events_tenant_id_fkey;
ALTER TABLE webhook_payloads DROP CONSTRAINT IF EXISTS webhook_payloads_tenant_id_fkey,
                             DROP CONSTRAINT IF EXISTS webhook_payloads_channel_id_fkey;
ALTER TABLE message_statuses DROP CONSTRAINT IF EXISTS message_statuses_tenant_id_fkey;
ALTER TABLE conversations DROP CONSTRAINT IF EXISTS conversations_tenant_id_fkey,
                          DROP CONSTRAINT IF EXISTS conversations_channel_id_fkey;
ALTER TABLE dead_letters DROP CONSTRAINT IF EXISTS dead_letters_message_id_fkey;

-- A purge finds a tenant's rows through these (messages through its two partial indexes
-- on tenant_id, one per direction).
CREATE INDEX IF NOT EXISTS message_statuses_tenant ON message_statuses (tenant_id);

-- Events that only restate a row are derived, not written: 'message.received' is an inbound
-- row, 'reply.sent' an outbound row with its sent_at. Writing them cost two rows and four
-- index entries per message. `timeline` is every event, written or derived.
CREATE VIEW timeline WITH (security_invoker = true) AS
  SELECT id, tenant_id, conversation_id, type, data, created_at FROM events
  UNION ALL
  SELECT NULL::bigint, tenant_id, conversation_id, 'message.received',
         jsonb_build_object('message_id', id, 'wamid', provider_id, 'type', type), created_at
    FROM messages WHERE direction = 'in'
  UNION ALL
  SELECT NULL::bigint, tenant_id, conversation_id, 'reply.sent',
         jsonb_build_object('message_id', id, 'wamid', provider_id), sent_at
    FROM messages WHERE direction = 'out' AND sent_at IS NOT NULL;

-- A bubble has no wamid until it is sent: it enters this index only then.
DROP INDEX IF EXISTS messages_outbound_provider;
CREATE INDEX messages_outbound_provider ON messages (provider_id)
  WHERE direction = 'out' AND provider_id IS NOT NULL;
