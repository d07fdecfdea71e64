import { sql, type Kysely } from 'kysely'

// The resolution log folds identical resolutions that arrive while a batch is buffered (the same
// spec, version and digest for the same project, pipeline, build and token: the jobs of one build,
// retries) into one row with a count and the times of the first and the last. A row per job start
// cost PostgreSQL more CPU than answering the resolution did.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table resolutions add column count integer not null default 1 check (count > 0)`.execute(db)
  await sql`alter table resolutions add column first_resolved_at timestamptz`.execute(db)
  await sql`update resolutions set first_resolved_at = resolved_at`.execute(db)
  await sql`alter table resolutions alter column first_resolved_at set not null`.execute(db)
  await sql`alter table resolutions add constraint resolutions_times_ordered check (first_resolved_at <= resolved_at)`.execute(db)
  // Usage (projects with counts and last time) stays an index-only scan: the count joins the index.
  await sql`drop index resolutions_image_version_time_idx`.execute(db)
  await sql`create index resolutions_image_version_time_idx on resolutions (image_id, version, resolved_at desc, id desc) include (project, count)`.execute(
    db
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop index resolutions_image_version_time_idx`.execute(db)
  await sql`create index resolutions_image_version_time_idx on resolutions (image_id, version, resolved_at desc, id desc) include (project)`.execute(
    db
  )
  await sql`alter table resolutions drop constraint resolutions_times_ordered`.execute(db)
  await sql`alter table resolutions drop column first_resolved_at`.execute(db)
  await sql`alter table resolutions drop column count`.execute(db)
}
