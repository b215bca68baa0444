-- 001 foundation: communes, users, sessions, login rate limiting.
-- Applied by tincay's migration runner inside one transaction; schema_migrations is the
-- runner's own table.

-- Official GSO commune codes of both eras: before and after the 1 July 2025 reorganisation
-- (loaded from ../shared/reference; may be empty).
CREATE TABLE communes (
    era           text NOT NULL CHECK (era IN ('pre2025', 'post2025')),
    code          text NOT NULL CHECK (code ~ '^[0-9]{5}$'),
    name          text NOT NULL,
    province_code text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    district_code text CHECK (district_code ~ '^[0-9]{3}$'), -- pre2025 only
    PRIMARY KEY (era, code)
);
CREATE INDEX communes_province ON communes (province_code, era);

CREATE TABLE users (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Logins are stored lower-case (the application folds them), so UNIQUE is
    -- case-insensitive without citext.
    login               text NOT NULL UNIQUE CHECK (login ~ '^[a-z0-9._-]{3,64}$'),
    display_name        text NOT NULL DEFAULT '' CHECK (length(display_name) <= 200),
    role                text NOT NULL CHECK (role IN ('admin', 'collector', 'host', 'escrow',
                                                      'reviewer', 'approver', 'viewer')),
    password_hash       text, -- Argon2id string (crypto_pwhash_str); NULL: no password login
    language            text NOT NULL DEFAULT 'vi' CHECK (language IN ('vi', 'en')),
    commune_era         text,
    commune_code        text,
    province_code       text CHECK (province_code ~ '^[0-9]{2}$'),
    unit_id             bigint, -- Trusted Address unit of a host (units come in a later migration)
    disabled_at         timestamptz,
    password_changed_at timestamptz,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK ((commune_era IS NULL) = (commune_code IS NULL)),
    FOREIGN KEY (commune_era, commune_code) REFERENCES communes (era, code)
);
CREATE INDEX users_role ON users (role) WHERE disabled_at IS NULL;

-- A session is found by the BLAKE2b-256 hash of its 256-bit token; the token itself
-- exists only in the client's cookie. It ends at expires_at (absolute) or after an idle
-- period since last_seen_at (the idle limit is the application's constant).
CREATE TABLE sessions (
    id_hash      bytea PRIMARY KEY CHECK (length(id_hash) = 32),
    user_id      bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    last_seen_at timestamptz NOT NULL DEFAULT now(),
    expires_at   timestamptz NOT NULL,
    user_agent   text NOT NULL DEFAULT '' CHECK (length(user_agent) <= 120)
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- Failed logins counted per minute and per key ('u:' || login, 'a:' || client address or
-- IPv6 /64), shared by every server instance; limits sum the buckets of the last window.
CREATE TABLE login_failures (
    key      text NOT NULL CHECK (length(key) <= 100),
    bucket   timestamptz NOT NULL,
    failures int NOT NULL CHECK (failures > 0),
    PRIMARY KEY (key, bucket)
);
CREATE INDEX login_failures_bucket ON login_failures (bucket);
