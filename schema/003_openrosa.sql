-- 003 OpenRosa: forms and their media, app users, submissions with their attachments,
-- findings and review history.

-- One row per version of a form. A published version never changes (the trigger below);
-- a new version is a new row. `xml` holds the exact bytes uploaded: formList's hash is
-- their md5 and the download serves them unchanged.
CREATE TABLE forms (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    form_id         text NOT NULL CHECK (form_id <> '' AND length(form_id) <= 255),
    version         text NOT NULL DEFAULT '' CHECK (length(version) <= 255),
    title           text NOT NULL CHECK (length(title) <= 1000),
    state           text NOT NULL DEFAULT 'draft'
                    CHECK (state IN ('draft', 'published', 'closing', 'closed')),
    xml             bytea NOT NULL,
    md5             text NOT NULL CHECK (md5 ~ '^[0-9a-f]{32}$'),
    sha256          text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    is_confidential boolean NOT NULL DEFAULT false, -- root tc:protect="confidential"
    has_protected   boolean NOT NULL DEFAULT false, -- any tc:protect field
    created_by      bigint REFERENCES users (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    published_at    timestamptz,
    closed_at       timestamptz,
    UNIQUE (form_id, version),
    CHECK ((state = 'draft') = (published_at IS NULL)),
    CHECK (NOT is_confidential OR has_protected)
);
CREATE INDEX forms_state ON forms (state, form_id);

-- States only move forward (draft → published → closing → closed) and the definition of a
-- version that left draft is frozen.
CREATE FUNCTION forms_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF array_position(ARRAY['draft', 'published', 'closing', 'closed'], NEW.state) <
       array_position(ARRAY['draft', 'published', 'closing', 'closed'], OLD.state) THEN
        RAISE EXCEPTION 'form "%" version "%" cannot go back from % to %',
            OLD.form_id, OLD.version, OLD.state, NEW.state USING ERRCODE = 'check_violation';
    END IF;
    IF OLD.state <> 'draft' AND (NEW.xml IS DISTINCT FROM OLD.xml OR NEW.form_id <> OLD.form_id
        OR NEW.version <> OLD.version) THEN
        RAISE EXCEPTION 'form "%" version "%" is published and cannot change',
            OLD.form_id, OLD.version USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER forms_guard BEFORE UPDATE ON forms FOR EACH ROW EXECUTE FUNCTION forms_guard();

-- Files a form version refers to (jr://images/..., jr://file-csv/...), by file name.
CREATE TABLE form_media (
    form         bigint NOT NULL REFERENCES forms (id) ON DELETE CASCADE,
    filename     text NOT NULL CHECK (filename ~ '^[^/\\]{1,255}$' AND strpos(filename, '..') = 0),
    content_type text NOT NULL,
    bytes        bytea NOT NULL,
    md5          text NOT NULL CHECK (md5 ~ '^[0-9a-f]{32}$'),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (form, filename)
);

-- App users: a collector's phone, authenticated by a random token in the URL path. Only
-- the BLAKE2b-256 hash of the token is kept; lookups go through the hash.
CREATE TABLE app_users (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    token_hash bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    unit_id    bigint, -- Trusted Address unit whose phone this is (units come later)
    created_by bigint REFERENCES users (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    revoked_at timestamptz
);

-- Form ids (every version) an app user may list and submit to.
CREATE TABLE app_user_forms (
    app_user_id bigint NOT NULL REFERENCES app_users (id) ON DELETE CASCADE,
    form_id     text NOT NULL,
    PRIMARY KEY (app_user_id, form_id)
);
CREATE INDEX app_user_forms_form ON app_user_forms (form_id);

-- One row per submitted instance. An edit (meta/deprecatedID) is a new row whose
-- deprecated_id names the row it replaces, and that row's superseded_by points to it.
-- `xml` is the plain XML for forms without protected fields; otherwise it is NULL and
-- `xml_sealed` holds the XML under its strongest protection class (key_id names the key).
-- `values` holds only unprotected values. is_complete is false while expected attachments
-- are missing or the client said more parts were coming (*isIncomplete*).
CREATE TABLE submissions (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    form          bigint NOT NULL REFERENCES forms (id),
    form_id       text NOT NULL,
    form_version  text NOT NULL,
    instance_id   text NOT NULL CHECK (instance_id <> '' AND length(instance_id) <= 255),
    xml           bytea,
    xml_sealed    bytea,
    key_id        text,
    xml_sha256    text NOT NULL CHECK (xml_sha256 ~ '^[0-9a-f]{64}$'),
    values        jsonb NOT NULL DEFAULT '{}',
    submitter_id  bigint REFERENCES users (id),
    app_user_id   bigint REFERENCES app_users (id),
    device_id     text CHECK (length(device_id) <= 255),
    received_at   timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    review_state  text NOT NULL DEFAULT 'received'
                  CHECK (review_state IN ('received', 'hasIssues', 'edited', 'approved',
                                          'rejected')),
    is_complete   boolean NOT NULL DEFAULT false,
    deprecated_id text,
    superseded_by bigint REFERENCES submissions (id),
    commune_era   text CHECK (commune_era IN ('pre2025', 'post2025')),
    commune_code  text,
    village       text,
    case_code     text,
    UNIQUE (form_id, instance_id),
    CHECK ((xml IS NULL) <> (xml_sealed IS NULL)),
    CHECK ((xml_sealed IS NULL) = (key_id IS NULL)),
    CHECK (superseded_by <> id)
);
-- A submission belongs to the form version it names, and a form with protected fields
-- never has its XML stored in plaintext (DESIGN.md, "Protection classes").
CREATE FUNCTION submissions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    f record;
BEGIN
    SELECT form_id, version, has_protected INTO f FROM forms WHERE id = NEW.form;
    IF f.form_id IS DISTINCT FROM NEW.form_id OR f.version IS DISTINCT FROM NEW.form_version THEN
        RAISE EXCEPTION 'submission "%" names form "%" version "%", not the form it is stored under',
            NEW.instance_id, NEW.form_id, NEW.form_version USING ERRCODE = 'check_violation';
    END IF;
    IF f.has_protected AND NEW.xml IS NOT NULL THEN
        RAISE EXCEPTION 'form "%" has protected fields: submission "%" must be stored sealed',
            NEW.form_id, NEW.instance_id USING ERRCODE = 'check_violation';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER submissions_guard BEFORE INSERT OR UPDATE OF form, form_id, form_version, xml
    ON submissions FOR EACH ROW EXECUTE FUNCTION submissions_guard();

-- Lists page newest first by id (tincay/review.h); dates are filtered through a BRIN index,
-- which costs next to nothing on the ingest path.
CREATE INDEX submissions_form ON submissions (form_id, id DESC);
CREATE INDEX submissions_form_state ON submissions (form_id, review_state, id DESC);
CREATE INDEX submissions_commune ON submissions (commune_era, commune_code, id DESC)
    WHERE commune_code IS NOT NULL;
CREATE INDEX submissions_received ON submissions USING brin (received_at);
CREATE INDEX submissions_case_code ON submissions (case_code) WHERE case_code IS NOT NULL;
CREATE INDEX submissions_superseded_by ON submissions (superseded_by)
    WHERE superseded_by IS NOT NULL;

-- The files a submission refers to: one slot per expected file name, created with the
-- submission; bytes arrive with that POST or a later one (split uploads).
CREATE TABLE submission_attachments (
    submission   bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    name         text NOT NULL CHECK (name ~ '^[^/\\]{1,255}$' AND strpos(name, '..') = 0),
    content_type text,
    size         bigint CHECK (size >= 0),
    sha256       text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    bytes        bytea,
    received_at  timestamptz,
    PRIMARY KEY (submission, name),
    CHECK ((bytes IS NULL) = (sha256 IS NULL) AND (bytes IS NULL) = (size IS NULL)
           AND (bytes IS NULL) = (received_at IS NULL))
);

-- What a stored submission breaks in its form's rules (type, required, constraint, choice).
CREATE TABLE findings (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    field      text NOT NULL,
    rule       text NOT NULL,
    message    text NOT NULL
);
CREATE INDEX findings_submission ON findings (submission);

-- Review history: each change of review state, or a comment alone (from_state = to_state).
CREATE TABLE review_comments (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    actor_id   bigint REFERENCES users (id),
    from_state text NOT NULL,
    to_state   text NOT NULL CHECK (to_state IN ('received', 'hasIssues', 'edited', 'approved',
                                                 'rejected')),
    comment    text CHECK (length(comment) <= 10000),
    at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_comments_submission ON review_comments (submission, at);
