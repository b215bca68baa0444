-- 005 vault: Trusted Address units and their keys, escrow officers, invitations, the unit
-- keys of open sessions, cases, blind indexes, and the data keys of protected submissions.
-- No secret is stored here in the clear: unit secret keys are sealed (crypto_box_seal) to
-- escrow officers or wrapped under keys derived from passwords, invitation secrets or
-- session tokens that the database never sees (src/vault, docs/vault.md).

-- A Trusted Address (Địa chỉ tin cậy cộng đồng) with its crypto_box public key.
CREATE TABLE units (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code          text NOT NULL UNIQUE CHECK (code ~ '^[A-Za-z0-9._-]{2,64}$'),
    name          text NOT NULL CHECK (name <> '' AND length(name) <= 200),
    commune_era   text NOT NULL,
    commune_code  text NOT NULL,
    province_code text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    public_key    bytea NOT NULL CHECK (length(public_key) = 32),
    created_at    timestamptz NOT NULL DEFAULT now(),
    FOREIGN KEY (commune_era, commune_code) REFERENCES communes (era, code)
);
CREATE INDEX units_province ON units (province_code);

ALTER TABLE users ADD FOREIGN KEY (unit_id) REFERENCES units (id);
ALTER TABLE app_users ADD FOREIGN KEY (unit_id) REFERENCES units (id);

-- An escrow officer's crypto_box key pair: the secret key wrapped (XChaCha20-Poly1305) under
-- a key derived with Argon2id from the officer's password, with its own salt and costs.
CREATE TABLE escrow_keys (
    user_id        bigint PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    province_code  text NOT NULL CHECK (province_code ~ '^[0-9]{2}$'),
    public_key     bytea NOT NULL CHECK (length(public_key) = 32),
    secret_wrapped bytea NOT NULL,
    kdf_salt       bytea NOT NULL CHECK (length(kdf_salt) = 16),
    kdf_opslimit   bigint NOT NULL CHECK (kdf_opslimit > 0),
    kdf_memlimit   bigint NOT NULL CHECK (kdf_memlimit > 0),
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX escrow_keys_province ON escrow_keys (province_code);

-- One-time invitations to a unit: only a BLAKE2b-256 hash of the secret is kept; the unit
-- key is wrapped under the secret (unit_keys, holder_kind 'invitation').
CREATE TABLE invitations (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id     bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    secret_hash bytea NOT NULL UNIQUE CHECK (length(secret_hash) = 32),
    created_by  bigint REFERENCES users (id) ON DELETE SET NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz,
    used_by     bigint REFERENCES users (id) ON DELETE SET NULL
);
CREATE INDEX invitations_unit ON invitations (unit_id);

-- Wrapped copies of a unit's secret key, one per holder:
--   escrow:     crypto_box_seal to escrow_keys.public_key of holder_id (a user); no KDF
--   member:     under Argon2id(password of user holder_id, kdf_salt)
--   invitation: under Argon2id(invitation secret, kdf_salt); holder_id is invitations.id
CREATE TABLE unit_keys (
    unit_id      bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    holder_kind  text NOT NULL CHECK (holder_kind IN ('escrow', 'member', 'invitation')),
    holder_id    bigint NOT NULL,
    wrapped      bytea NOT NULL,
    kdf_salt     bytea CHECK (length(kdf_salt) = 16),
    kdf_opslimit bigint,
    kdf_memlimit bigint,
    created_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (unit_id, holder_kind, holder_id),
    CHECK ((holder_kind = 'escrow') = (kdf_salt IS NULL)),
    CHECK ((kdf_salt IS NULL) = (kdf_opslimit IS NULL) AND (kdf_salt IS NULL) = (kdf_memlimit IS NULL))
);
CREATE INDEX unit_keys_holder ON unit_keys (holder_kind, holder_id);

-- Keys of an open session: a unit secret key (kind 'unit', owner_id = units.id) or an escrow
-- officer's secret key (kind 'escrow', owner_id = users.id), wrapped under a key derived from
-- the session token, which only the cookie holds. Logout and expiry delete the session row,
-- and these with it.
CREATE TABLE session_unit_keys (
    session_id_hash bytea NOT NULL REFERENCES sessions (id_hash) ON DELETE CASCADE,
    kind            text NOT NULL CHECK (kind IN ('unit', 'escrow')),
    owner_id        bigint NOT NULL,
    wrapped         bytea NOT NULL,
    PRIMARY KEY (session_id_hash, kind, owner_id)
);

-- The data key of a protected submission, beside it: for `personal` forms wrapped by the
-- server's key-encryption key key_id (8 hex digits; `tincay keys rotate` re-wraps these rows
-- and nothing else); for `confidential` forms sealed to unit_id's public key (key_id 'unit').
CREATE TABLE submission_keys (
    submission bigint PRIMARY KEY REFERENCES submissions (id) ON DELETE CASCADE,
    key_id     text NOT NULL CHECK (key_id = 'unit' OR key_id ~ '^[0-9a-f]{8}$'),
    dek        bytea NOT NULL,
    unit_id    bigint REFERENCES units (id),
    CHECK ((key_id = 'unit') = (unit_id IS NOT NULL))
);
CREATE INDEX submission_keys_key_id ON submission_keys (key_id, submission) WHERE key_id <> 'unit';
CREATE INDEX submission_keys_unit ON submission_keys (unit_id) WHERE unit_id IS NOT NULL;

-- Protected values of a submission, one ciphertext per field path, under its data key.
CREATE TABLE submission_protected (
    submission bigint NOT NULL REFERENCES submission_keys (submission) ON DELETE CASCADE,
    field      text NOT NULL CHECK (field <> '' AND length(field) <= 1000),
    ciphertext bytea NOT NULL,
    PRIMARY KEY (submission, field)
);

-- A case: the intake submission of a confidential form, owned by a unit. Follow-ups are
-- submissions carrying the same case code (submissions.case_code), each with its own data
-- key sealed to the unit (submission_keys). `report` holds only tc:report values.
CREATE TABLE cases (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    unit_id    bigint NOT NULL REFERENCES units (id),
    case_code  text NOT NULL UNIQUE CHECK (case_code ~ '^DC-[0-9a-f]{8}$'),
    form_id    text NOT NULL,
    submission bigint UNIQUE REFERENCES submissions (id),
    report     jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX cases_unit ON cases (unit_id, created_at DESC);

-- Repeat-victim hints: truncated keyed BLAKE2b of normalised identities (collisions are
-- expected and intended); the key is derived from the unit's secret key.
CREATE TABLE blind_indexes (
    unit_id bigint NOT NULL REFERENCES units (id) ON DELETE CASCADE,
    case_id bigint NOT NULL REFERENCES cases (id) ON DELETE CASCADE,
    kind    text NOT NULL CHECK (kind IN ('name_birthyear', 'name_nodiacritics_birthyear',
                                          'phone')),
    value   bytea NOT NULL CHECK (length(value) BETWEEN 1 AND 4),
    PRIMARY KEY (case_id, kind, value)
);
CREATE INDEX blind_indexes_lookup ON blind_indexes (unit_id, kind, value);
