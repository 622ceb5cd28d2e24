-- +goose Up
-- The EPI (enseignements pratiques interdisciplinaires), the AP
-- (accompagnement personnalisé) and the parcours éducatifs of the Livret
-- Scolaire (issue 17). An EPI or AP is declared for a school year with its
-- disciplines (SIECLE subject codes, comma-separated); a group is what one
-- division follows of it in one period, with its teachers and their
-- discipline ("teacher_id:subject_code", comma-separated) and the class
-- commentary. Year-scoped: groups go with their period or division (the
-- changeover's undo packs copy them), declarations stay with their year.
CREATE TABLE lsu_epi_themes (
    uai        TEXT NOT NULL REFERENCES establishments (uai),
    code       TEXT NOT NULL,
    label      TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uai, code)
);

CREATE TABLE lsu_projects (
    uai         TEXT NOT NULL REFERENCES establishments (uai),
    id          BIGINT NOT NULL,
    school_year INTEGER NOT NULL,
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    theme       TEXT NOT NULL DEFAULT '',
    description TEXT NOT NULL DEFAULT '',
    subjects    TEXT NOT NULL DEFAULT '',
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, id)
);
CREATE INDEX lsu_projects_year ON lsu_projects (uai, school_year);

CREATE TABLE lsu_project_groups (
    uai         TEXT NOT NULL,
    id          BIGINT NOT NULL,
    project_id  BIGINT NOT NULL,
    division_id BIGINT NOT NULL,
    period_id   BIGINT NOT NULL,
    title       TEXT NOT NULL,
    comment     TEXT NOT NULL DEFAULT '',
    teachers    TEXT NOT NULL DEFAULT '',
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, id),
    UNIQUE (uai, project_id, division_id, period_id),
    FOREIGN KEY (uai, project_id) REFERENCES lsu_projects (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, division_id) REFERENCES divisions (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, period_id) REFERENCES periods (uai, id) ON DELETE CASCADE
);
CREATE INDEX lsu_project_groups_division ON lsu_project_groups (uai, division_id, period_id);

-- The project of a division for a parcours in a period.
CREATE TABLE lsu_class_parcours (
    uai         TEXT NOT NULL,
    division_id BIGINT NOT NULL,
    period_id   BIGINT NOT NULL,
    code        TEXT NOT NULL,
    text        TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, division_id, period_id, code),
    FOREIGN KEY (uai, division_id) REFERENCES divisions (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, period_id) REFERENCES periods (uai, id) ON DELETE CASCADE
);

-- A student's lines of a periodic report for these blocks: the
-- appreciation of a group (group_id, parcours '') or the commentary of a
-- parcours (group_id 0, parcours its code). They are part of the report:
-- frozen when it is closed, gone with it.
CREATE TABLE lsu_report_blocks (
    uai        TEXT NOT NULL,
    report_id  BIGINT NOT NULL,
    group_id   BIGINT NOT NULL DEFAULT 0,
    parcours   TEXT NOT NULL DEFAULT '',
    text       TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, report_id, group_id, parcours),
    FOREIGN KEY (uai, report_id) REFERENCES lsu_periodic_reports (uai, id) ON DELETE CASCADE
);
CREATE INDEX lsu_report_blocks_group ON lsu_report_blocks (uai, group_id);

-- +goose Down
DROP TABLE lsu_report_blocks;
DROP TABLE lsu_class_parcours;
DROP TABLE lsu_project_groups;
DROP TABLE lsu_projects;
DROP TABLE lsu_epi_themes;
