-- Nodes that have run against this database: registered at start, seen while alive.
CREATE TABLE parley_nodes (
  name        text PRIMARY KEY,
  started_at  timestamptz NOT NULL DEFAULT now(),
  last_seen   timestamptz NOT NULL DEFAULT now(),
  pid         integer NOT NULL,
  http_url    text NOT NULL
);
