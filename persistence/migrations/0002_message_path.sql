-- The message path: tenants, channels, knowledge, conversations, messages (inbound and the
-- outbox), raw webhook payloads, statuses, dead letters and events.

CREATE FUNCTION parley_status_rank(s text) RETURNS integer
  LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT CASE s WHEN 'pending' THEN 0 WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2
                WHEN 'read' THEN 3 WHEN 'played' THEN 3 WHEN 'failed' THEN 4
                WHEN 'dead' THEN 4 ELSE 0 END $$;

CREATE TABLE tenants (
  id          uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  name        text NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE channels (
  id               uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  type             text NOT NULL CHECK (type IN ('whatsapp')),
  phone_number_id  text NOT NULL,
  app_secret       text NOT NULL,
  verify_token     text NOT NULL,
  access_token     text NOT NULL,
  api_base_url     text NOT NULL DEFAULT 'https://graph.facebook.com',
  api_version      text NOT NULL DEFAULT 'v21.0',
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (type, phone_number_id)
);
CREATE INDEX channels_tenant ON channels (tenant_id);

CREATE TABLE knowledge (
  id          bigserial PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  kind        text NOT NULL CHECK (kind IN ('article', 'faq')),
  title       text NOT NULL,
  content     text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX knowledge_tenant ON knowledge (tenant_id, id);

-- Meta offers no way to fetch old webhooks: every accepted body is kept as received.
CREATE TABLE webhook_payloads (
  id           bigserial PRIMARY KEY,
  tenant_id    uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  channel_id   uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  received_at  timestamptz NOT NULL DEFAULT now(),
  body         text NOT NULL
);

CREATE TABLE conversations (
  id                    uuid PRIMARY KEY DEFAULT gen_random_uuid(),
  tenant_id             uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  channel_id            uuid NOT NULL REFERENCES channels (id) ON DELETE CASCADE,
  customer              text NOT NULL,
  customer_name         text NOT NULL DEFAULT '',
  created_at            timestamptz NOT NULL DEFAULT now(),
  last_message_at       timestamptz NOT NULL DEFAULT now(),
  human_override_until  timestamptz,
  UNIQUE (channel_id, customer)
);
CREATE INDEX conversations_tenant ON conversations (tenant_id, last_message_at DESC);

-- Inbound messages (direction 'in': received -> processed) and the outbox (direction 'out':
-- pending -> sent -> delivered -> read, or failed / dead). One row per outgoing bubble.
CREATE TABLE messages (
  id               bigserial PRIMARY KEY,
  tenant_id        uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  conversation_id  uuid NOT NULL REFERENCES conversations (id) ON DELETE CASCADE,
  direction        text NOT NULL CHECK (direction IN ('in', 'out')),
  type             text NOT NULL,
  text             text NOT NULL DEFAULT '',
  status           text NOT NULL,
  provider_id      text,              -- wamid: the dedup key inbound, the send result outbound
  raw              text,              -- inbound: the message object as Meta sent it
  idempotency_key  text,              -- outbound: the inbound message id the reply answers
  bubble           integer NOT NULL DEFAULT 0,
  reply_to         text,              -- outbound: wamid quoted as context
  attempts         integer NOT NULL DEFAULT 0,
  error            text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  provider_ts      timestamptz,
  processed_at     timestamptz,
  sent_at          timestamptz,
  delivered_at     timestamptz,
  read_at          timestamptz,
  failed_at        timestamptz
);
CREATE UNIQUE INDEX messages_inbound_dedup ON messages (tenant_id, provider_id) WHERE direction = 'in';
CREATE UNIQUE INDEX messages_outbound_idempotency ON messages (tenant_id, idempotency_key, bubble)
  WHERE direction = 'out';
CREATE INDEX messages_outbound_provider ON messages (provider_id) WHERE direction = 'out';
CREATE INDEX messages_conversation ON messages (conversation_id, id);
CREATE INDEX messages_unprocessed ON messages (id) WHERE direction = 'in' AND status = 'received';
CREATE INDEX messages_outbox ON messages (id) WHERE direction = 'out' AND status = 'pending';

-- Every status webhook as received; statuses may arrive before the send result that names the
-- wamid is stored, so the outbox applies the best one when it records the wamid.
CREATE TABLE message_statuses (
  id            bigserial PRIMARY KEY,
  tenant_id     uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  provider_id   text NOT NULL,
  status        text NOT NULL,
  provider_ts   timestamptz,
  errors        text,
  received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX message_statuses_provider ON message_statuses (provider_id);

CREATE TABLE dead_letters (
  id          bigserial PRIMARY KEY,
  tenant_id   uuid NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
  message_id  bigint REFERENCES messages (id) ON DELETE CASCADE,
  kind        text NOT NULL,           -- 'outbound' (send failed) or 'inbound' (processing failed)
  error       text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE events (
  id               bigserial PRIMARY KEY,
  tenant_id        uuid REFERENCES tenants (id) ON DELETE CASCADE,
  conversation_id  uuid,
  type             text NOT NULL,      -- message.received, message.processed, reply.sent, ...
  data             jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX events_tenant ON events (tenant_id, id);
