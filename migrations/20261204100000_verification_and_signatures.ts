import { sql, type Kysely } from 'kysely'

// Keeping the promise after release.
//
// Re-verification runs through the check queue: a job now has a kind, and a version has at most one
// job of each kind (its pullability check, its re-verification). A verification job is not deleted
// when it runs; it is due again one jittered interval later, for as long as the version is testing
// or released.
//
// What a verification finds is kept on the version: when it last verified, the tag's current
// digest while it differs from the pinned one (drift), how many verifications in a row found the
// pinned digest gone, and since when the version is unavailable and why. Availability is not a
// status: a released version whose digest vanished is still released, and is released and usable
// again when the digest comes back.
//
// Images may require keyed signatures; a version records which key signed its digest.
//
// Registries are asked within a request budget per minute shared by every replica, and a registry
// that answered 429 is left alone until the time it named.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table check_jobs add column kind text not null default 'pullability' check (kind in ('pullability', 'verification'))`.execute(
    db
  )
  await sql`alter table check_jobs drop constraint check_jobs_version_id_key`.execute(db)
  await sql`alter table check_jobs add constraint check_jobs_version_id_kind_key unique (version_id, kind)`.execute(db)
  await sql`create index check_jobs_kind_run_at_idx on check_jobs (kind, run_at, id)`.execute(db)
  await sql`drop index check_jobs_run_at_idx`.execute(db)

  await sql`alter table image_versions
    add column verified_at timestamptz,
    add column verification_error text,
    add column upstream_digest text,
    add column upstream_seen_at timestamptz,
    add column missing_count integer not null default 0,
    add column unavailable_since timestamptz,
    add column unavailable_reason text,
    add column signed_by text,
    add column signed_by_fingerprint text`.execute(db)
  await sql`comment on column image_versions.upstream_seen_at is 'Set while the tag points at another digest than the pinned one (or at none): when that was first seen'`.execute(
    db
  )
  await sql`comment on column image_versions.missing_count is 'Verifications in a row that found the pinned digest gone (404); two make the version unavailable'`.execute(
    db
  )

  await sql`alter table images add column signature_keys jsonb not null default '[]'::jsonb`.execute(db)

  await sql`create table registry_request_budgets (
    registry text primary key,
    window_start timestamptz not null,
    used integer not null default 0,
    blocked_until timestamptz
  )`.execute(db)
  await sql`comment on table registry_request_budgets is 'Requests made to each registry in the current minute by verifications of every replica, and the time a 429 asked us to wait until'`.execute(
    db
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`drop table registry_request_budgets`.execute(db)
  await sql`alter table images drop column signature_keys`.execute(db)
  await sql`alter table image_versions
    drop column verified_at, drop column verification_error, drop column upstream_digest, drop column upstream_seen_at,
    drop column missing_count, drop column unavailable_since, drop column unavailable_reason, drop column signed_by,
    drop column signed_by_fingerprint`.execute(db)
  await sql`delete from check_jobs where kind <> 'pullability'`.execute(db)
  await sql`create index check_jobs_run_at_idx on check_jobs (run_at, id)`.execute(db)
  await sql`drop index check_jobs_kind_run_at_idx`.execute(db)
  await sql`alter table check_jobs drop constraint check_jobs_version_id_kind_key`.execute(db)
  await sql`alter table check_jobs add constraint check_jobs_version_id_key unique (version_id)`.execute(db)
  await sql`alter table check_jobs drop column kind`.execute(db)
}
