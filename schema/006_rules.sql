-- 006 Eligibility rules (src/rules, docs/rules.md): rulesets, norms, areas, allocations,
-- the support registry and the scores computed from them.

-- Every version of every ruleset ever loaded; at most one active per form.
CREATE TABLE rulesets (
    ruleset_id   text NOT NULL CHECK (ruleset_id <> '' AND length(ruleset_id) <= 200),
    version      integer NOT NULL CHECK (version > 0),
    form_id      text NOT NULL,
    xml          text NOT NULL,
    sha256       text NOT NULL CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    texts        jsonb NOT NULL, -- labels, messages, basis by id (tc_ruleset_texts_json)
    active       boolean NOT NULL DEFAULT false,
    loaded_at    timestamptz NOT NULL DEFAULT now(),
    activated_at timestamptz,
    PRIMARY KEY (ruleset_id, version)
);
CREATE UNIQUE INDEX rulesets_one_active ON rulesets (form_id) WHERE active;

-- Norms (định mức): data, not code. A change is a new row; the newest row of an item is
-- its current value, older rows are its history. max_amount NULL: not set (the shipped
-- norms have no amounts: TT 55/2023's could not be verified), and then no amount is ever
-- recommended for the item.
CREATE TABLE norms (
    id                   bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    item                 text NOT NULL CHECK (item ~ '^[A-Z0-9][A-Z0-9-]{0,63}$'),
    name_vi              text NOT NULL,
    name_en              text NOT NULL,
    unit                 text NOT NULL,
    max_amount           numeric(18, 0) CHECK (max_amount >= 0),
    valid_from           date,
    valid_to             date CHECK (valid_to IS NULL OR valid_from IS NULL OR valid_to >= valid_from),
    legal_basis          text NOT NULL CHECK (btrim(legal_basis) <> ''),
    requires_counterpart boolean NOT NULL DEFAULT false,
    counterpart_share    numeric(5, 4) CHECK (counterpart_share BETWEEN 0 AND 1),
    set_by               text NOT NULL,
    set_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX norms_item ON norms (item, id DESC);
CREATE VIEW norms_current AS
    SELECT DISTINCT ON (item) * FROM norms ORDER BY item, id DESC;

-- Area classification (QĐ 861/698: commune region I/II/III; QĐ 612: thôn ĐBKK), by era,
-- commune and village. village_name is the normalised name (NFC, case-folded, spaces
-- collapsed), NULL for the commune row; village_label is the name as written. Communes
-- merged on 1 July 2025 hold villages of different classes: a village row wins over its
-- commune row. An unverified row never passes the area gate ("area not verified").
CREATE TABLE areas (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    era           text NOT NULL CHECK (era IN ('pre2025', 'post2025')),
    commune_code  text NOT NULL CHECK (commune_code ~ '^[0-9]{5}$'),
    village_name  text,
    village_label text,
    kv            text CHECK (kv IN ('I', 'II', 'III')),
    dbkk          boolean,
    source        text NOT NULL DEFAULT '',
    verified      boolean NOT NULL DEFAULT false,
    notes         text NOT NULL DEFAULT '',
    loaded_at     timestamptz NOT NULL DEFAULT now(),
    CHECK ((village_name IS NULL) = (village_label IS NULL)),
    CHECK (NOT verified OR village_name IS NOT NULL OR kv IS NOT NULL)
);
CREATE UNIQUE INDEX areas_key ON areas (era, commune_code, (coalesce(village_name, '')));

-- Budget per commune and year. What is committed is computed from decisions: the review
-- workflow's migration replaces tc_committed() with the sum of its approved amounts.
CREATE TABLE allocations (
    era          text NOT NULL CHECK (era IN ('pre2025', 'post2025')),
    commune_code text NOT NULL CHECK (commune_code ~ '^[0-9]{5}$'),
    year         integer NOT NULL CHECK (year BETWEEN 2021 AND 2100),
    amount       numeric(18, 0) NOT NULL CHECK (amount >= 0),
    set_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (era, commune_code, year)
);
CREATE FUNCTION tc_committed(p_era text, p_commune text, p_year integer) RETURNS numeric
    LANGUAGE sql STABLE AS $$ SELECT 0::numeric $$;
CREATE VIEW allocations_remaining AS
    SELECT a.*, tc_committed(a.era, a.commune_code, a.year) AS committed,
           a.amount - tc_committed(a.era, a.commune_code, a.year) AS remaining
    FROM allocations a;

-- Support already given (earlier Project 8 support, other programmes, donors), imported
-- from CSV. Group names are not kept: only name_index, a keyed BLAKE2b-128 (hex) of the
-- diacritic-free normalised name and "ERA:CODE", under the key in rules_keys.
CREATE TABLE support_registry (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    program             text NOT NULL CHECK (program <> ''),
    year                integer NOT NULL CHECK (year BETWEEN 1990 AND 2100),
    registration_number text,
    name_index          text CHECK (name_index ~ '^[0-9a-f]{32}$'),
    commune_era         text CHECK (commune_era IN ('pre2025', 'post2025')),
    commune_code        text,
    content             text NOT NULL DEFAULT '',
    amount              numeric(18, 0),
    source              text NOT NULL DEFAULT '',
    imported_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (registration_number IS NOT NULL OR name_index IS NOT NULL)
);
CREATE INDEX support_registry_number ON support_registry (lower(registration_number))
    WHERE registration_number IS NOT NULL;
CREATE INDEX support_registry_name ON support_registry (name_index) WHERE name_index IS NOT NULL;

-- Per-deployment random keys of the rules module (32 bytes, made on first use). The
-- registry blind index is keyed here because the server's key-encryption key belongs to
-- the vault; a dump of this table lets its reader test guessed group names, which are not
-- secret (they are posted publicly when support is approved).
CREATE TABLE rules_keys (
    name       text PRIMARY KEY,
    key        bytea NOT NULL CHECK (length(key) = 32),
    created_at timestamptz NOT NULL DEFAULT now()
);

-- One score per (submission, ruleset, version): a new version's scores sit beside the old.
-- gates: [{id, outcome pass|fail|n/a, reason}], points: [{id, points, max, value, answered}],
-- tiebreak: [{id, value, order}], reasons: {recommendation, message, failed_gates, terms:
-- {norm_item, norm_row, ceiling, need, remaining}}. Labels and messages are the version's
-- (rulesets.texts), joined by id, so each row stays small.
CREATE TABLE scores (
    submission      bigint NOT NULL REFERENCES submissions (id) ON DELETE CASCADE,
    ruleset_id      text NOT NULL,
    ruleset_version integer NOT NULL,
    eligible        boolean NOT NULL,
    gates           jsonb NOT NULL,
    points          jsonb NOT NULL,
    total           numeric(8, 2) NOT NULL,
    tiebreak        jsonb NOT NULL,
    norm_item       text,
    norm_id         bigint, -- norms.id of the row used (norms rows are never deleted)
    ceiling         numeric(18, 0),
    recommended     numeric(18, 0),
    reasons         jsonb NOT NULL,
    commune_era     text,
    commune_code    text,
    year            integer,
    computed_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (submission, ruleset_id, ruleset_version)
    -- (ruleset_id, ruleset_version) always names a stored ruleset: only tc_score_* write
    -- here, from a ruleset loaded out of `rulesets`. No foreign key to it (nor to norms,
    -- which are append-only): re-scoring writes up to a million rows in one go, and each
    -- checked key is one more index lookup per row.
);
CREATE INDEX scores_queue ON scores (ruleset_id, ruleset_version, commune_era, commune_code, year,
                                     eligible, total DESC);
