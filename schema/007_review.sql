-- 007 Review workflow of livelihood groups (docs/review.md): approval levels as
-- configuration, append-only support decisions, the state of each group's decision chain
-- and the amounts committed against the allocations of schema 006.

-- The ordered levels a group's support goes through, per administrative era. Rows, not
-- code: edit them to match the province's delegation. The last level's decision is the
-- approval; `role` is the account role (policy.h) that decides at that level.
CREATE TABLE approval_levels (
    era      text NOT NULL CHECK (era IN ('pre2025', 'post2025')),
    position integer NOT NULL CHECK (position BETWEEN 1 AND 9),
    kind     text NOT NULL CHECK (kind IN ('propose', 'confirm', 'approve')),
    role     text NOT NULL CHECK (role IN ('reviewer', 'approver')),
    body_vi  text NOT NULL CHECK (btrim(body_vi) <> ''),
    body_en  text NOT NULL CHECK (btrim(body_en) <> ''),
    PRIMARY KEY (era, position),
    CHECK ((position = 1) = (kind = 'propose'))
);
-- (tincay refuses to decide while an era's 'approve' level is not its last.)
-- Before 1 July 2025: the commune Women's Union proposes (bình xét), the commune People's
-- Committee confirms, the district approves. After: no district; the commune proposes and
-- the province approves (domain note §2.4 D, a proposal to be confirmed by the province).
INSERT INTO approval_levels (era, position, kind, role, body_vi, body_en) VALUES
('pre2025', 1, 'propose', 'reviewer', 'Hội LHPN xã đề xuất', 'commune Women''s Union proposes'),
('pre2025', 2, 'confirm', 'approver', 'UBND xã xác nhận', 'commune People''s Committee confirms'),
('pre2025', 3, 'approve', 'approver', 'Cấp huyện phê duyệt', 'district approves'),
('post2025', 1, 'propose', 'reviewer', 'Hội LHPN xã đề xuất', 'commune Women''s Union proposes'),
('post2025', 2, 'approve', 'approver', 'Cấp tỉnh phê duyệt', 'province approves');

-- Every support decision ever taken, never changed: a correction is a new row. `level`
-- is the position the decision was taken at; propose/confirm/approve carry an amount no
-- higher than the norm ceiling in force (copied into `ceiling`), reject and return carry
-- a reason. The score row (submission, ruleset id, version) says what was decided on.
-- `level` is history, not a reference: the levels may be edited after decisions exist.
CREATE TABLE decisions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    submission      bigint NOT NULL REFERENCES submissions (id),
    ruleset_id      text NOT NULL,
    ruleset_version integer NOT NULL,
    era             text NOT NULL,
    level           integer NOT NULL,
    kind            text NOT NULL CHECK (kind IN ('propose', 'confirm', 'approve', 'reject',
                                                  'return')),
    amount          numeric(18, 0) CHECK (amount >= 0),
    ceiling         numeric(18, 0),
    reason          text CHECK (length(reason) <= 2000),
    norm_id         bigint REFERENCES norms (id),
    actor_id        bigint NOT NULL REFERENCES users (id),
    at              timestamptz NOT NULL DEFAULT now(),
    commune_era     text NOT NULL,
    commune_code    text NOT NULL,
    year            integer NOT NULL,
    FOREIGN KEY (submission, ruleset_id, ruleset_version)
        REFERENCES scores (submission, ruleset_id, ruleset_version),
    CHECK (kind NOT IN ('reject', 'return') OR btrim(coalesce(reason, '')) <> ''),
    CHECK (kind IN ('reject', 'return')
           OR (amount IS NOT NULL AND ceiling IS NOT NULL AND norm_id IS NOT NULL
               AND amount <= ceiling))
);
CREATE INDEX decisions_submission ON decisions (submission, id);
CREATE INDEX decisions_commune ON decisions (commune_era, commune_code, year);

CREATE FUNCTION decisions_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'decisions are append-only: % refused', TG_OP
        USING ERRCODE = 'restrict_violation';
END
$$;
CREATE TRIGGER decisions_append_only BEFORE UPDATE OR DELETE ON decisions
    FOR EACH ROW EXECUTE FUNCTION decisions_guard();
CREATE TRIGGER decisions_no_truncate BEFORE TRUNCATE ON decisions
    FOR EACH STATEMENT EXECUTE FUNCTION decisions_guard();

-- The current state of each group's chain, from its newest decision: in_progress (propose
-- or confirm), approved (the approve level, always the last one), rejected, returned (for
-- correction: the chain starts again at level 1).
CREATE VIEW decision_state AS
    SELECT DISTINCT ON (d.submission)
           d.submission, d.id AS last_id, d.kind AS last_kind, d.level AS last_level, d.era,
           d.amount, d.actor_id, d.at, d.commune_era, d.commune_code, d.year,
           CASE WHEN d.kind = 'reject' THEN 'rejected'
                WHEN d.kind = 'return' THEN 'returned'
                WHEN d.kind = 'approve' THEN 'approved'
                ELSE 'in_progress' END AS state
      FROM decisions d
     ORDER BY d.submission, d.id DESC;

-- What is committed of an allocation: the amounts of approved groups (schema 006 defined
-- the function returning 0 until this migration).
CREATE OR REPLACE FUNCTION tc_committed(p_era text, p_commune text, p_year integer)
    RETURNS numeric LANGUAGE sql STABLE AS $$
    SELECT coalesce(sum(amount), 0) FROM decision_state
     WHERE state = 'approved' AND commune_era = p_era AND commune_code = p_commune
       AND year = p_year
$$;
