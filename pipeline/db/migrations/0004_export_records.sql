-- A foreign maker's answer "exported directly to <country>": the gun never entered US commerce, which is
-- what distinguishes FOREIGN_NO_US_IMPORT_RECORD from a maker or importer with no record at all.
ALTER TABLE manufacture_records ADD COLUMN exported_to text;
