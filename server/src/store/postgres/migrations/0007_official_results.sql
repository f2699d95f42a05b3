-- Published results, one version per import (see the SQLite migration 0009).
CREATE TABLE result_publications (
    version       BIGINT PRIMARY KEY,
    source        TEXT NOT NULL,
    published_at  TIMESTAMPTZ,
    imported_at   TIMESTAMPTZ NOT NULL
);

CREATE TABLE official_results (
    version  BIGINT NOT NULL REFERENCES result_publications (version),
    station  TEXT COLLATE "C" NOT NULL,
    contest  TEXT COLLATE "C" NOT NULL,
    line     TEXT COLLATE "C" NOT NULL,
    value    BIGINT NOT NULL,
    PRIMARY KEY (version, station, contest, line)
);
