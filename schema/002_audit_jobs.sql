-- Audit log: append-only, hash-chained after commit by a single chainer (src/store/audit.c).
-- chain_seq orders the chain: rows are chained in id order among those committed, so a row
-- whose transaction commits late joins the chain late instead of breaking it.
CREATE TABLE audit_log (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_kind text NOT NULL CHECK (actor_kind IN ('user', 'app_user', 'system', 'anonymous')),
    actor_id bigint,
    actor_login text,
    action text NOT NULL,
    object_kind text,
    object_id text,
    purpose text,
    client_addr text,
    outcome text NOT NULL DEFAULT 'ok' CHECK (outcome IN ('ok', 'denied', 'failed')),
    detail jsonb,
    chain_seq bigint UNIQUE,
    prev_hash bytea,
    row_hash bytea,
    CHECK ((chain_seq IS NULL) = (row_hash IS NULL))
);
CREATE INDEX audit_log_unchained ON audit_log (id) WHERE chain_seq IS NULL;
CREATE INDEX audit_log_object ON audit_log (object_kind, object_id);
CREATE INDEX audit_log_actor ON audit_log (actor_kind, actor_id, at);

-- Rows never change, except that the chainer fills the chain columns of an unchained row once.
CREATE FUNCTION audit_log_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF OLD.chain_seq IS NOT NULL
       OR (NEW.id, NEW.at, NEW.actor_kind, NEW.actor_id, NEW.actor_login, NEW.action,
           NEW.object_kind, NEW.object_id, NEW.purpose, NEW.client_addr, NEW.outcome, NEW.detail)
          IS DISTINCT FROM
          (OLD.id, OLD.at, OLD.actor_kind, OLD.actor_id, OLD.actor_login, OLD.action,
           OLD.object_kind, OLD.object_id, OLD.purpose, OLD.client_addr, OLD.outcome, OLD.detail)
    THEN
        RAISE EXCEPTION 'audit_log is append-only' USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_guard();

-- Background work (re-scoring, exports, chaining), taken with FOR UPDATE SKIP LOCKED so any
-- number of workers in any number of instances share the queue.
CREATE TABLE jobs (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind text NOT NULL,
    payload jsonb NOT NULL DEFAULT '{}',
    state text NOT NULL DEFAULT 'queued'
        CHECK (state IN ('queued', 'running', 'done', 'failed')),
    progress_done bigint NOT NULL DEFAULT 0,
    progress_total bigint,
    attempts integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 3,
    last_error text,
    result jsonb,
    run_after timestamptz NOT NULL DEFAULT now(),
    locked_by text,
    locked_at timestamptz,
    created_at timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
CREATE INDEX jobs_ready ON jobs (run_after, id) WHERE state = 'queued';
CREATE INDEX jobs_running ON jobs (locked_at) WHERE state = 'running';
