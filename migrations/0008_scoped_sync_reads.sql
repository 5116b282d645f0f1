-- A save syncs one file, and reads what the store knows of the files in
-- its scope, plus every file with an error (a slug freed by this save may
-- fix one): those are found through this index, not by reading every
-- source (src/db/sources.rs, `known`). The status page reads them too.
CREATE INDEX sources_with_errors ON sources (path) WHERE error_reason IS NOT NULL;
