-- Firearms-commerce records the tracing stages consult: licensees, manufacturers' and importers' books,
-- wholesalers' shipments, active dealers' sales, the out-of-business records repository, purchasers,
-- multiple-sale reports and theft reports. Everything is keyed by firearm_key, exactly as
-- pipeline.normalize.firearm_key computes it, so a trace looks a gun up with the key it already has.
--
-- These tables stand in for separate outside systems (each company's books, ATF's repositories), so,
-- like those, they carry no foreign keys; pipeline.records.seeding.seed keeps them consistent and reloads them
-- with TRUNCATE + COPY.

CREATE TABLE licensees (
    license     text PRIMARY KEY,
    name        text NOT NULL,
    kind        text NOT NULL CHECK (kind IN ('MANUFACTURER', 'IMPORTER', 'WHOLESALER', 'DEALER')),
    us_state    text NOT NULL CHECK (us_state ~ '^[A-Z]{2}$'),
    city        text NOT NULL,
    status      text NOT NULL CHECK (status IN ('ACTIVE', 'OUT_OF_BUSINESS')),
    closed_on   date,
    CHECK ((status = 'OUT_OF_BUSINESS') = (closed_on IS NOT NULL))
);
COMMENT ON TABLE licensees IS 'Federal Firearms Licensees; records of OUT_OF_BUSINESS dealers are in oob_records';

CREATE TABLE manufacturers (
    maker_id    text PRIMARY KEY,
    name        text NOT NULL,
    country     text NOT NULL CHECK (country ~ '^[A-Z]{3}$'),
    license     text
);
COMMENT ON TABLE manufacturers IS 'maker_id as normalize_maker returns it; license is NULL for foreign makers';

CREATE TABLE importers (
    importer_id text PRIMARY KEY,
    name        text NOT NULL,
    license     text NOT NULL
);
COMMENT ON TABLE importers IS 'importer_id as normalize_importer returns it';

CREATE TABLE manufacture_records (
    firearm_key        text PRIMARY KEY,
    maker_id           text NOT NULL,
    serial             text NOT NULL,
    model              text NOT NULL,
    caliber            text,
    made_year          smallint NOT NULL,
    importer_id        text,
    shipped_to_license text,
    shipped_on         date,
    CHECK ((shipped_to_license IS NULL) = (shipped_on IS NULL))
);
COMMENT ON TABLE manufacture_records IS
    'A maker''s or importer''s book: serial as stamped, first shipment to a wholesaler (none before 1968)';

CREATE TABLE wholesale_shipments (
    firearm_key        text PRIMARY KEY,
    wholesaler_license text NOT NULL,
    dealer_license     text NOT NULL,
    shipped_on         date NOT NULL
);

CREATE TABLE retail_sales (
    firearm_key    text PRIMARY KEY,
    dealer_license text NOT NULL,
    sale_date      date NOT NULL,
    purchaser_id   text NOT NULL
);
COMMENT ON TABLE retail_sales IS 'First retail sales in the books of ACTIVE dealers (the fast path)';

CREATE TABLE oob_records (
    firearm_key    text PRIMARY KEY,
    dealer_license text NOT NULL,
    sale_date      date NOT NULL,
    purchaser_id   text NOT NULL
);
COMMENT ON TABLE oob_records IS 'Out-of-business records repository: sales of dealers that closed (the slow path)';

CREATE TABLE purchasers (
    purchaser_id text PRIMARY KEY,
    full_name    text NOT NULL,
    birth_date   date NOT NULL,
    address      text NOT NULL,
    city         text NOT NULL,
    us_state     text NOT NULL CHECK (us_state ~ '^[A-Z]{2}$')
);
COMMENT ON TABLE purchasers IS
    'PERSONAL DATA: read only through pipeline.records.lookup.find_purchasers (role-checked, audited); never log';

CREATE TABLE multiple_sales (
    report_id      text PRIMARY KEY,
    purchaser_id   text NOT NULL,
    dealer_license text NOT NULL,
    report_date    date NOT NULL,
    form           text NOT NULL CHECK (form IN ('3310.4', '3310.12')),
    firearm_keys   text[] NOT NULL CHECK (cardinality(firearm_keys) >= 2)
);
CREATE INDEX multiple_sales_purchaser ON multiple_sales (purchaser_id);
CREATE INDEX multiple_sales_firearm_keys ON multiple_sales USING gin (firearm_keys);
COMMENT ON TABLE multiple_sales IS
    'ATF multiple-sale reports: 3310.4 (2+ handguns in 5 business days), 3310.12 (2+ rifles > .22, AZ CA NM TX)';

CREATE TABLE theft_reports (
    firearm_key      text PRIMARY KEY,
    reported_on      date NOT NULL,
    reporter_license text NOT NULL,
    note             text NOT NULL
);
