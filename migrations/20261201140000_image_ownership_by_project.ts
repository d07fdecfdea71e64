import { sql, type Kysely } from 'kysely'

// An image belongs to its owner project: every token that may act for that project (with the
// images:write scope) manages it. The list of owner token *names* is dropped: names are labels that
// any project can reuse, so they could never be an identity.
// Audit events name the token by id and record the projects it acted for at the time, so a trail
// stays truthful after the token is renamed, revoked or deleted.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table images drop column owners`.execute(db)
  await sql`alter table image_events add column actor_projects text[]`.execute(db)
  await sql`update image_events e set actor_projects = t.projects from api_tokens t where t.id = e.actor_token_id`.execute(db)
  await sql`comment on column image_events.actor_projects is 'Projects the token acted for; null = every project (or a token deleted before this was recorded)'`.execute(
    db
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`alter table image_events drop column actor_projects`.execute(db)
  await sql`alter table images add column owners text[] not null default '{}'`.execute(db)
  await sql`update images set owners = array[created_by]`.execute(db)
  await sql`alter table images alter column owners drop default`.execute(db)
}
