-- +goose Up
-- The Livret Scolaire (lsu.md): per student and period the periodic report
-- (bilan périodique), its subject lines, the programme elements a class
-- worked on, per student and cycle the end-of-cycle report (bilan de fin de
-- cycle), the PDFs archived when a report is closed, and the LSU exports
-- with their report. Year-scoped: periodic reports go with their period
-- (rollover.md step 3) after step 2 archived their PDFs.
CREATE TABLE lsu_periodic_reports (
    uai                  TEXT NOT NULL REFERENCES establishments (uai),
    id                   BIGINT NOT NULL,
    student_id           BIGINT NOT NULL,
    period_id            BIGINT NOT NULL,
    state                TEXT NOT NULL DEFAULT 'draft',
    closed_at            TIMESTAMPTZ,
    closed_by            BIGINT NOT NULL DEFAULT 0,
    council_date         DATE,
    general_appreciation TEXT NOT NULL DEFAULT '',
    -- school-life counters; NULL: not recorded (exported as 0, with a line)
    late                 INTEGER,
    absences             INTEGER,
    unjustified          INTEGER,
    missed_hours         INTEGER,
    school_life_comment  TEXT NOT NULL DEFAULT '',
    support              TEXT NOT NULL DEFAULT '',
    ppre_complement      TEXT NOT NULL DEFAULT '',
    updated_at           TIMESTAMPTZ NOT NULL,
    updated_by           BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, id),
    UNIQUE (uai, student_id, period_id),
    FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, period_id) REFERENCES periods (uai, id) ON DELETE CASCADE
);
CREATE INDEX lsu_periodic_reports_period ON lsu_periodic_reports (uai, period_id);

-- One subject line of a periodic report. The average is in hundredths of
-- a point (1550 = 15,50/20), exact on both engines.
CREATE TABLE lsu_subject_results (
    uai          TEXT NOT NULL,
    report_id    BIGINT NOT NULL,
    subject_code TEXT NOT NULL,
    average      INTEGER,
    positioning  INTEGER NOT NULL DEFAULT 0,
    status       INTEGER NOT NULL DEFAULT 0,
    appreciation TEXT NOT NULL DEFAULT '',
    teacher_id   BIGINT NOT NULL DEFAULT 0,
    updated_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uai, report_id, subject_code),
    FOREIGN KEY (uai, report_id) REFERENCES lsu_periodic_reports (uai, id) ON DELETE CASCADE
);

-- Programme elements a division worked on in a subject during a period.
CREATE TABLE lsu_programme_elements (
    uai          TEXT NOT NULL,
    id           BIGINT NOT NULL,
    division_id  BIGINT NOT NULL,
    period_id    BIGINT NOT NULL,
    subject_code TEXT NOT NULL,
    label        TEXT NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uai, id),
    FOREIGN KEY (uai, division_id) REFERENCES divisions (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, period_id) REFERENCES periods (uai, id) ON DELETE CASCADE
);
CREATE INDEX lsu_programme_elements_division ON lsu_programme_elements (uai, division_id, period_id);

-- End-of-cycle report: the 8 socle domains (NULL: not positioned; 0 =
-- exempt), the synthesis and the optional teachings.
CREATE TABLE lsu_cycle_reports (
    uai              TEXT NOT NULL REFERENCES establishments (uai),
    id               BIGINT NOT NULL,
    student_id       BIGINT NOT NULL,
    cycle            INTEGER NOT NULL,
    school_year      INTEGER NOT NULL,
    state            TEXT NOT NULL DEFAULT 'draft',
    closed_at        TIMESTAMPTZ,
    closed_by        BIGINT NOT NULL DEFAULT 0,
    cpd_fra          INTEGER,
    cpd_etr          INTEGER,
    cpd_sci          INTEGER,
    cpd_art          INTEGER,
    met_app          INTEGER,
    frm_cit          INTEGER,
    sys_nat          INTEGER,
    rep_mnd          INTEGER,
    synthesis        TEXT NOT NULL DEFAULT '',
    complement_code  TEXT NOT NULL DEFAULT '',
    complement_level INTEGER NOT NULL DEFAULT 0,
    regional_code    TEXT NOT NULL DEFAULT '',
    regional_level   INTEGER NOT NULL DEFAULT 0,
    updated_at       TIMESTAMPTZ NOT NULL,
    updated_by       BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, id),
    UNIQUE (uai, student_id, cycle),
    FOREIGN KEY (uai, student_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);

-- The PDF of a report, archived each time it is closed: the "Livret
-- Scolaire reports of the year" the changeover puts in the class archives.
-- No foreign key: the archive outlives the period and the division.
CREATE TABLE lsu_report_pdfs (
    uai           TEXT NOT NULL REFERENCES establishments (uai),
    id            BIGINT NOT NULL,
    kind          TEXT NOT NULL,
    report_id     BIGINT NOT NULL,
    student_id    BIGINT NOT NULL,
    school_year   INTEGER NOT NULL,
    division_code TEXT NOT NULL DEFAULT '',
    student_name  TEXT NOT NULL DEFAULT '',
    title         TEXT NOT NULL,
    name          TEXT NOT NULL,
    sha256        TEXT NOT NULL,
    size          BIGINT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    created_by    BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, id)
);
CREATE INDEX lsu_report_pdfs_year ON lsu_report_pdfs (uai, school_year, division_code);
CREATE INDEX lsu_report_pdfs_sha256 ON lsu_report_pdfs (sha256);

-- LSU exports: the report (JSON blob) and the file (blob; none when the
-- export was refused, and never for the 1st degree, whose file holds INEs).
CREATE TABLE lsu_exports (
    uai            TEXT NOT NULL REFERENCES establishments (uai),
    id             BIGINT NOT NULL,
    school_year    INTEGER NOT NULL,
    degree         TEXT NOT NULL,
    version        TEXT NOT NULL,
    selection      TEXT NOT NULL,
    outcome        TEXT NOT NULL,
    refusal        TEXT NOT NULL DEFAULT '',
    students       INTEGER NOT NULL DEFAULT 0,
    blocked        INTEGER NOT NULL DEFAULT 0,
    fixed          INTEGER NOT NULL DEFAULT 0,
    ignored        INTEGER NOT NULL DEFAULT 0,
    warnings       INTEGER NOT NULL DEFAULT 0,
    report_sha256  TEXT NOT NULL,
    report_size    BIGINT NOT NULL,
    file_name      TEXT NOT NULL DEFAULT '',
    file_sha256    TEXT NOT NULL DEFAULT '',
    file_size      BIGINT NOT NULL DEFAULT 0,
    created_at     TIMESTAMPTZ NOT NULL,
    created_by     BIGINT NOT NULL DEFAULT 0,
    created_name   TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (uai, id)
);

-- +goose Down
DROP TABLE lsu_exports;
DROP TABLE lsu_report_pdfs;
DROP TABLE lsu_cycle_reports;
DROP TABLE lsu_programme_elements;
DROP TABLE lsu_subject_results;
DROP TABLE lsu_periodic_reports;
