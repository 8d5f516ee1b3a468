-- What the results API searches and pages by: near-serial search (fuzzystrmatch, a trusted contrib
-- extension), keyset pagination on each sort order, and visibility by the agencies on a trace.
CREATE EXTENSION IF NOT EXISTS fuzzystrmatch;
CREATE INDEX traces_recovery_page ON traces (coalesce(recovery_date, DATE '0001-01-01'), trace_id);
CREATE INDEX traces_completed_page ON traces (completed_at, trace_id);
CREATE INDEX traces_ttc_page ON traces (coalesce(time_to_crime_days, -1), trace_id);
CREATE INDEX traces_agencies ON traces USING gin (agencies);
CREATE INDEX traces_serial ON traces (serial);
CREATE INDEX traces_maker_model ON traces (maker, model);
CREATE INDEX possible_duplicates_candidate ON possible_duplicates (candidate_trace_id);
CREATE INDEX possible_duplicates_trace ON possible_duplicates (trace_id);
