-- Results the election administration published, per station, contest and protocol line.
-- Each import is a publication of its own: a corrected file is a new version, and the old
-- one stays (the comparison reads, per station and contest, the newest version that has it).
CREATE TABLE result_publications (
    version       INTEGER PRIMARY KEY,
    source        TEXT NOT NULL,
    published_at  TEXT,
    imported_at   TEXT NOT NULL
);

CREATE TABLE official_results (
    version  INTEGER NOT NULL REFERENCES result_publications (version),
    station  TEXT NOT NULL,
    contest  TEXT NOT NULL,
    line     TEXT NOT NULL,
    value    INTEGER NOT NULL,
    PRIMARY KEY (version, station, contest, line)
);
