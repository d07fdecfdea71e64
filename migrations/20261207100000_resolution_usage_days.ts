import { sql, type Kysely } from 'kysely'

// Usage (which projects resolved a version, how often, when last) summed per UTC day once the day
// has closed: at 10^7 rows the busiest version of an image has some 10^5 log rows a month, too
// many to sum on every request. Partitioned by day like the log, so its retention drops days too
// (the service creates the partitions). log_rollups keeps how far the summing has come.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`create table resolution_usage_days (
    day timestamptz not null,
    image_id uuid not null,
    version text not null,
    project text not null,
    resolutions bigint not null check (resolutions > 0),
    last_resolved_at timestamptz not null,
    primary key (image_id, version, day, project)
  ) partition by range (day)`.execute(db)
  await sql`comment on table resolution_usage_days is 'Resolutions per UTC day, image, version and project, summed from the resolution log once the day has closed'`.execute(
    db
  )
  await sql`create table log_rollups (
    name text primary key check (name in ('resolution_usage_days')),
    rolled_until timestamptz not null
  )`.execute(db)
  await sql`comment on table log_rollups is 'How far each summary of the resolution log has been summed: every day before rolled_until'`.execute(
    db
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table log_rollups`.execute(db)
  await sql`drop table resolution_usage_days`.execute(db)
}
