-- Least privilege inside PostgreSQL: workers, the results API and admin tasks each connect as their own role
-- with only the grants they need. The migrating role (the schema owner) keeps ownership; it needs CREATEROLE
-- where these roles do not exist yet (`tracepipe stack up` creates them and sets their passwords).
DO $$
DECLARE
    name text;
BEGIN
    FOREACH name IN ARRAY ARRAY['tracepipe_worker', 'tracepipe_api', 'tracepipe_admin'] LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = name) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', name);
        END IF;
    END LOOP;
END
$$;

-- Purchaser personal data is read only through this function: it checks the role, requires a reason and
-- writes one audit row per id asked for, in the same statement as the read. No application role may
-- SELECT the purchasers table itself.
ALTER TABLE audit_log ADD COLUMN db_role text NOT NULL DEFAULT session_user;
CREATE FUNCTION read_purchasers(p_ids text[], p_account text, p_role text, p_reason text)
RETURNS TABLE (purchaser_id text, full_name text, birth_date date, address text, city text, us_state text)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
BEGIN
    IF p_role NOT IN ('investigator', 'pipeline') THEN
        RAISE EXCEPTION 'role % may not read purchaser personal data', p_role USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF coalesce(btrim(p_account), '') = '' OR coalesce(btrim(p_reason), '') = '' THEN
        RAISE EXCEPTION 'a purchaser read needs an account and a reason' USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO audit_log (account, role, action, subject, detail, reason, db_role)
    SELECT p_account, p_role, 'records.purchaser.read', w.id,
           jsonb_build_object('reason', p_reason, 'table', 'purchasers',
                              'found', EXISTS (SELECT 1 FROM purchasers p WHERE p.purchaser_id = w.id)),
           p_reason, session_user
    FROM (SELECT DISTINCT unnest(p_ids) AS id) w
    ORDER BY w.id;
    RETURN QUERY
    SELECT p.purchaser_id, p.full_name, p.birth_date, p.address, p.city, p.us_state
    FROM purchasers p WHERE p.purchaser_id = ANY (p_ids);
END;
$$;
REVOKE ALL ON FUNCTION read_purchasers(text[], text, text, text) FROM PUBLIC;

REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC;
GRANT USAGE ON SCHEMA public TO tracepipe_worker, tracepipe_api, tracepipe_admin;

-- Workers: the tracing stages read the records (never purchasers directly); the sink writes results.
GRANT SELECT ON licensees, manufacturers, importers, manufacture_records, wholesale_shipments, retail_sales,
    oob_records, multiple_sales, theft_reports TO tracepipe_worker;
GRANT SELECT, INSERT, UPDATE ON traces, recoveries, seizure_outcomes, trace_progress TO tracepipe_worker;
GRANT SELECT, INSERT ON possible_duplicates TO tracepipe_worker;
GRANT UPDATE (trace_id, candidate_trace_id, serial, candidate_serial, found_at) ON possible_duplicates
    TO tracepipe_worker;
GRANT EXECUTE ON FUNCTION read_purchasers(text[], text, text, text) TO tracepipe_worker, tracepipe_api;

-- The results API: reads results and the non-personal records; records submissions; an analyst's decision
-- on a possible duplicate is the one thing it changes.
GRANT SELECT ON traces, recoveries, possible_duplicates, seizure_outcomes, trace_progress, submissions, agencies,
    accounts, licensees, retail_sales, oob_records, multiple_sales, manufacture_records TO tracepipe_api;
GRANT INSERT, UPDATE ON submissions TO tracepipe_api;
GRANT UPDATE (status) ON possible_duplicates TO tracepipe_api;
GRANT INSERT ON audit_log TO tracepipe_api, tracepipe_worker;

-- Admin tasks: accounts, agencies and sharing; the audit log is theirs to read (and append to).
GRANT SELECT, INSERT, UPDATE ON agencies, accounts TO tracepipe_admin;
GRANT SELECT, INSERT ON audit_log TO tracepipe_admin;
GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO tracepipe_worker, tracepipe_api, tracepipe_admin;
