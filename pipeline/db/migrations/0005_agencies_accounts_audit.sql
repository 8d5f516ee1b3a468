-- Agencies, their accounts and their opt-in state sharing; the audit log becomes append-only.
-- The registry rows themselves are data (pipeline/accounts/registry.py syncs them); municipal police
-- agencies are added by an admin.
CREATE TABLE agencies (
    agency_id           text        PRIMARY KEY,
    name                text        NOT NULL,
    kind                text        NOT NULL CHECK (kind IN ('FEDERAL', 'STATE', 'MUNICIPAL', 'FOREIGN')),
    state_code          text,       -- INEGI code of the Mexican state (state and municipal agencies)
    accreditation       text        NOT NULL CHECK (accreditation IN ('ACCREDITED', 'IN_TRAINING', 'NOT_ACCREDITED')),
    shares_with_state   boolean     NOT NULL DEFAULT false,
    created_at          timestamptz NOT NULL DEFAULT now(),
    CHECK (kind NOT IN ('STATE', 'MUNICIPAL') OR state_code IS NOT NULL)
);

-- One row per person or system that holds a token. Only the SHA-256 of the token is kept.
CREATE TABLE accounts (
    account_id          text        PRIMARY KEY,
    agency_id           text        NOT NULL REFERENCES agencies (agency_id),
    label               text        NOT NULL,
    role                text        NOT NULL
                        CHECK (role IN ('analyst', 'investigator', 'national_analyst', 'ops', 'admin')),
    token_hash          bytea       NOT NULL UNIQUE,
    token_hint          text        NOT NULL,   -- the first characters, to recognise a token in a list
    created_at          timestamptz NOT NULL DEFAULT now(),
    expires_at          timestamptz NOT NULL,
    revoked_at          timestamptz
);
CREATE INDEX accounts_agency ON accounts (agency_id);

-- Why a personal-data read happened, and which account (by id) did it.
ALTER TABLE audit_log ADD COLUMN reason text;
CREATE INDEX audit_log_subject_at ON audit_log (subject, at);
CREATE INDEX audit_log_at ON audit_log (at);

-- Append-only, for every role including the table's owner: rows are only ever inserted.
CREATE FUNCTION audit_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
END;
$$;
CREATE TRIGGER audit_log_no_update_or_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_is_append_only();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_is_append_only();

-- Seizures an account submitted over the API: "received" even before intake has read them.
CREATE TABLE submissions (
    agency_id           text        NOT NULL,
    event_id            text        NOT NULL,
    account_id          text        NOT NULL,
    received_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (agency_id, event_id)
);

-- Seizures that did not become a trace sighting, as the sink reads them off the stream: a dead letter (with
-- its reason in both languages) or an exact re-send. Sightings are in `recoveries` (the opening one too,
-- from the moment dedupe opens the trace); `trace_progress` says which stage an open trace is at.
CREATE TABLE seizure_outcomes (
    agency_id           text        NOT NULL,
    event_id            text        NOT NULL,
    outcome             text        NOT NULL CHECK (outcome IN ('DEAD_LETTER', 'EXACT_DUPLICATE')),
    reason_code         text,
    message_en          text,
    message_es          text,
    at                  timestamptz NOT NULL,
    PRIMARY KEY (agency_id, event_id)
);
CREATE TABLE trace_progress (
    trace_id            text        PRIMARY KEY,
    stage               text        NOT NULL,
    at                  timestamptz NOT NULL
);
