-- Completed and closed traces as analysts and the results API read them (the trace sink upserts here).
CREATE TABLE traces (
    trace_id            text        PRIMARY KEY,
    firearm_key         text        NOT NULL,
    outcome             text        NOT NULL,
    reason              text        NOT NULL,
    maker               text,
    model               text,
    caliber             text,
    serial              text,
    firearm_type        text,
    country             text,
    recovery_date       date,
    state_code          text,
    opening_agency      text        NOT NULL,
    agencies            text[]      NOT NULL,
    first_sale_date     date,
    time_to_crime_days  integer,
    source_state        text,
    dealer_license      text,
    purchaser_id        text,
    hops                jsonb       NOT NULL,
    stage_timings       jsonb       NOT NULL,
    opened_at           timestamptz NOT NULL,
    completed_at        timestamptz NOT NULL,
    stored_at           timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX traces_outcome_reason ON traces (outcome, reason);
CREATE INDEX traces_source_state ON traces (source_state);
CREATE INDEX traces_dealer ON traces (dealer_license);
CREATE INDEX traces_purchaser ON traces (purchaser_id);
CREATE INDEX traces_opening_agency ON traces (opening_agency, recovery_date);

-- Every sighting of a traced firearm: the opening one and later recoveries (keyed by the agency's event).
CREATE TABLE recoveries (
    agency_id           text        NOT NULL,
    event_id            text        NOT NULL,
    trace_id            text        NOT NULL,
    recovery_date       date        NOT NULL,
    state_code          text,
    municipality        text,
    possible_duplicate  boolean     NOT NULL DEFAULT false,
    reported_at         timestamptz NOT NULL,
    PRIMARY KEY (agency_id, event_id)
);
CREATE INDEX recoveries_trace ON recoveries (trace_id);

-- Pairs of traces probably entered twice with a serial typo, waiting for an analyst's decision.
CREATE TABLE possible_duplicates (
    link_id             text        PRIMARY KEY,
    trace_id            text        NOT NULL,
    candidate_trace_id  text        NOT NULL,
    serial              text        NOT NULL,
    candidate_serial    text        NOT NULL,
    found_at            timestamptz NOT NULL,
    status              text        NOT NULL DEFAULT 'PENDING'
);
