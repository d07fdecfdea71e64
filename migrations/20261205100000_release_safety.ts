import { sql, type Kysely } from 'kysely'

// Releasing safely.
//
// Approvals: an image may require approvals before a release takes effect. A release then moves the
// version to `awaiting_approval` (still in progress: one per image), keeping who asked and the rollout
// plan asked for; each approval is one row per approving token, and the last one needed releases.
// Tokens are identities here, not names: the token that submitted or asked for the release is
// recorded by id, and can never approve.
//
// Soak time: an image may require a minimum time in testing; `testing_since` is when the version last
// entered testing (a recheck starts it again).
//
// Staged rollout: a released version may reach projects stage by stage. The rollout row is the
// version's (one at most), with its plan, the stage reached and when the next automatic advance is due.
//
// Resolution log writes are made idempotent: a batch carries an id, recorded in the same statement
// as its rows, so a batch whose commit was acknowledged too late (connection lost after COMMIT) and is
// written again adds nothing.
//
// Impact: which projects resolved a spec that a release would move is read from the resolution log by
// (image, spec, time), index-only.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table image_versions drop constraint image_versions_status_check`.execute(db)
  await sql`alter table image_versions add constraint image_versions_status_check
    check (status in ('checking', 'check_failed', 'testing', 'awaiting_approval', 'released', 'cancelled', 'withdrawn'))`.execute(db)
  await sql`drop index image_versions_one_in_progress`.execute(db)
  await sql`create unique index image_versions_one_in_progress on image_versions (image_id)
            where status in ('checking', 'check_failed', 'testing', 'awaiting_approval')`.execute(db)

  await sql`alter table image_versions
    add column submitted_by_token_id uuid,
    add column testing_since timestamptz,
    add column release_requested_by text,
    add column release_requested_by_token_id uuid,
    add column release_requested_at timestamptz,
    add column release_plan jsonb,
    add column released_by_token_id uuid`.execute(db)
  await sql`update image_versions set testing_since = coalesce(checked_at, submitted_at) where status = 'testing'`.execute(db)
  await sql`comment on column image_versions.testing_since is 'When the version last entered testing; the soak time counts from here'`.execute(
    db
  )
  await sql`comment on column image_versions.release_plan is 'The rollout plan asked for with the release, kept while approvals are awaited'`.execute(
    db
  )

  await sql`alter table images
    add column approval jsonb,
    add column min_testing_time text`.execute(db)
  await sql`comment on column images.approval is '{ required, approverProjects }: approvals a release needs; null = none'`.execute(db)
  await sql`comment on column images.min_testing_time is 'Minimum time in testing before release (e.g. 24h); null = none'`.execute(db)

  await sql`create table version_approvals (
    id bigserial primary key,
    version_id uuid not null references image_versions(id) on delete cascade,
    token_id uuid not null,
    token_name text not null,
    projects text[] not null,
    comment text,
    approved_at timestamptz not null default now(),
    unique (version_id, token_id)
  )`.execute(db)
  await sql`comment on table version_approvals is 'Approvals of the pending release of a version, one per approving token; cleared when the release is rejected or rechecked'`.execute(
    db
  )

  await sql`create table version_rollouts (
    version_id uuid primary key references image_versions(id) on delete cascade,
    image_id uuid not null references images(id) on delete cascade,
    plan jsonb not null,
    stage integer not null default 0 check (stage >= 0),
    state text not null check (state in ('rolling_out', 'paused', 'completed', 'aborted')),
    stage_started_at timestamptz not null,
    next_advance_at timestamptz,
    started_by text not null,
    started_at timestamptz not null default now(),
    finished_at timestamptz,
    updated_at timestamptz not null default now()
  )`.execute(db)
  await sql`create index version_rollouts_image_idx on version_rollouts (image_id) where state in ('rolling_out', 'paused')`.execute(db)
  await sql`create index version_rollouts_due_idx on version_rollouts (next_advance_at) where state = 'rolling_out'`.execute(db)
  await sql`comment on table version_rollouts is 'Staged rollout of a released version: stage reached, automatic advance, pause/abort'`.execute(
    db
  )

  await sql`create table log_batches (
    id uuid primary key,
    log text not null check (log in ('resolutions', 'pull_secret_grants')),
    written_at timestamptz not null default now()
  )`.execute(db)
  await sql`create index log_batches_written_at_brin on log_batches using brin (written_at)`.execute(db)
  await sql`comment on table log_batches is 'Batches of the resolution log and the pull-secret grants already written, so a retried batch is written once; pruned with the log'`.execute(
    db
  )

  await sql`create index resolutions_image_spec_time_idx on resolutions (image_id, spec, resolved_at desc) include (project, pipeline, count)`.execute(
    db
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index resolutions_image_spec_time_idx`.execute(db)
  await sql`drop table log_batches`.execute(db)
  await sql`drop table version_rollouts`.execute(db)
  await sql`drop table version_approvals`.execute(db)
  await sql`alter table images drop column approval, drop column min_testing_time`.execute(db)
  await sql`alter table image_versions
    drop column submitted_by_token_id, drop column testing_since, drop column release_requested_by,
    drop column release_requested_by_token_id, drop column release_requested_at, drop column release_plan,
    drop column released_by_token_id`.execute(db)
  await sql`update image_versions set status = 'testing' where status = 'awaiting_approval'`.execute(db)
  await sql`drop index image_versions_one_in_progress`.execute(db)
  await sql`create unique index image_versions_one_in_progress on image_versions (image_id)
            where status in ('checking', 'check_failed', 'testing')`.execute(db)
  await sql`alter table image_versions drop constraint image_versions_status_check`.execute(db)
  await sql`alter table image_versions add constraint image_versions_status_check
    check (status in ('checking', 'check_failed', 'testing', 'released', 'cancelled', 'withdrawn'))`.execute(db)
}
