-- +goose Up
-- The end-of-year changeover (rollover.md). The calendar of a changeover is
-- the instance's (the operator sets it); the state of each step, its
-- checkpoints and the messages it sent are per establishment, so a step
-- runs, fails and resumes for each establishment on its own.

-- Cross-tenant: the calendar of the changeover closing school year N, as
-- the JSON document internal/rollover reads (step dates, warning dates,
-- access-blocking window and message).
CREATE TABLE rollover_calendars (
    school_year INTEGER PRIMARY KEY,
    calendar    TEXT NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL,
    updated_by  TEXT NOT NULL DEFAULT ''
);

-- One step of one establishment's changeover: queued, running (with a
-- lease and its progress), done (with its report) or failed (with its
-- error). The report is kept until the next changeover.
CREATE TABLE rollover_steps (
    uai            TEXT NOT NULL REFERENCES establishments (uai),
    school_year    INTEGER NOT NULL,
    step           INTEGER NOT NULL,
    state          TEXT NOT NULL,
    attempts       INTEGER NOT NULL DEFAULT 0,
    queued_at      TIMESTAMPTZ,
    started_at     TIMESTAMPTZ,
    finished_at    TIMESTAMPTZ,
    lease_until    TIMESTAMPTZ,
    progress_done  INTEGER NOT NULL DEFAULT 0,
    progress_total INTEGER NOT NULL DEFAULT 0,
    error          TEXT NOT NULL DEFAULT '',
    report         TEXT NOT NULL DEFAULT '',
    actor          TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (uai, school_year, step)
);
CREATE INDEX rollover_steps_year ON rollover_steps (school_year, step, state);

-- What a step has finished, item by item (an archive written for a
-- division or a student, the groups deleted...): a run after a crash skips
-- them. ref_id is the row written (archive, document), size its bytes.
CREATE TABLE rollover_checkpoints (
    uai         TEXT NOT NULL REFERENCES establishments (uai),
    school_year INTEGER NOT NULL,
    step        INTEGER NOT NULL,
    item        TEXT NOT NULL,
    ref_id      BIGINT NOT NULL DEFAULT 0,
    size        BIGINT NOT NULL DEFAULT 0,
    detail      TEXT NOT NULL DEFAULT '',
    done_at     TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uai, school_year, step, item)
);

-- The messages the changeover sent (trash warning, group warnings and
-- summaries, invitation to check the directory): each at most once per
-- recipient.
CREATE TABLE rollover_notices (
    uai          TEXT NOT NULL REFERENCES establishments (uai),
    school_year  INTEGER NOT NULL,
    kind         TEXT NOT NULL,
    recipient_id BIGINT NOT NULL,
    message_id   BIGINT NOT NULL,
    sent_at      TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uai, school_year, kind, recipient_id)
);

-- The initialisation file of year N+1 an establishment (or the operator)
-- uploaded for step 4; the newest one is used.
CREATE TABLE rollover_files (
    uai         TEXT NOT NULL REFERENCES establishments (uai),
    id          BIGINT NOT NULL,
    school_year INTEGER NOT NULL,
    name        TEXT NOT NULL,
    sha256      TEXT NOT NULL,
    size        BIGINT NOT NULL,
    uploaded_at TIMESTAMPTZ NOT NULL,
    uploaded_by BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (uai, id)
);
CREATE INDEX rollover_files_sha256 ON rollover_files (sha256);

-- Class spaces: a division's shared space where its teachers post
-- documents for the class. Year-scoped: step 2 moves them to the trash
-- (trashed_at) with their rights rewritten, step 1 of the next changeover
-- deletes them. division_id has no foreign key: the space outlives its
-- division (deleted at step 3) while it is in the trash.
CREATE TABLE class_spaces (
    uai           TEXT NOT NULL REFERENCES establishments (uai),
    id            BIGINT NOT NULL,
    school_year   INTEGER NOT NULL,
    division_id   BIGINT,
    division_code TEXT NOT NULL,
    label         TEXT NOT NULL,
    created_at    TIMESTAMPTZ NOT NULL,
    trashed_at    TIMESTAMPTZ,
    PRIMARY KEY (uai, id)
);
CREATE UNIQUE INDEX class_spaces_division ON class_spaces (uai, division_id) WHERE division_id IS NOT NULL AND trashed_at IS NULL;

-- Explicit rights on a class space: manager or reader.
CREATE TABLE class_space_rights (
    uai       TEXT NOT NULL,
    space_id  BIGINT NOT NULL,
    person_id BIGINT NOT NULL,
    role      TEXT NOT NULL,
    PRIMARY KEY (uai, space_id, person_id),
    FOREIGN KEY (uai, space_id) REFERENCES class_spaces (uai, id) ON DELETE CASCADE,
    FOREIGN KEY (uai, person_id) REFERENCES persons (uai, id) ON DELETE CASCADE
);

-- The documents posted in a class space (bytes in the blob store).
CREATE TABLE class_space_files (
    uai          TEXT NOT NULL,
    id           BIGINT NOT NULL,
    space_id     BIGINT NOT NULL,
    name         TEXT NOT NULL,
    sha256       TEXT NOT NULL,
    size         BIGINT NOT NULL,
    content_type TEXT NOT NULL,
    posted_by    BIGINT NOT NULL DEFAULT 0,
    posted_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (uai, id),
    FOREIGN KEY (uai, space_id) REFERENCES class_spaces (uai, id) ON DELETE CASCADE
);
CREATE INDEX class_space_files_space ON class_space_files (uai, space_id);
CREATE INDEX class_space_files_sha256 ON class_space_files (sha256);

-- Step 1 finds what is in the trash before its cut-off.
CREATE INDEX evaluations_trashed ON evaluations (uai, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX sheets_trashed ON sheets (uai, deleted_at) WHERE deleted_at IS NOT NULL;
CREATE INDEX documents_trashed ON documents (uai, deleted_at) WHERE deleted_at IS NOT NULL;
-- Step 4's retention finds the other accounts deactivated long ago.
CREATE INDEX persons_deactivated ON persons (uai, deactivated_at) WHERE deactivated_at IS NOT NULL;

-- +goose Down
DROP INDEX persons_deactivated;
DROP INDEX documents_trashed;
DROP INDEX sheets_trashed;
DROP INDEX evaluations_trashed;
DROP TABLE class_space_files;
DROP TABLE class_space_rights;
DROP TABLE class_spaces;
DROP TABLE rollover_files;
DROP TABLE rollover_notices;
DROP TABLE rollover_checkpoints;
DROP TABLE rollover_steps;
DROP TABLE rollover_calendars;
