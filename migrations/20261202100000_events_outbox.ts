import { sql, type Kysely } from 'kysely'

// image_events becomes the outbox of every state change (webhooks and the catalog-wide feed read
// it next): ordered by its bigserial id, catalog-wide, naming the image, the version and its digest.
// Deleting an image no longer deletes its events. The cascade would have taken the image.deleted
// event with it, and a consumer of the feed must hear of the deletion; so the foreign key goes,
// image_id stays as the id the image had, and image_code keeps its code (a code can be associated
// again later, to a new image with a new id, whose audit trail starts empty).
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`alter table image_events drop constraint image_events_image_id_fkey`.execute(db)
  await sql`alter table image_events add column image_code text, add column version_id uuid, add column digest text`.execute(db)
  await sql`update image_events e set image_code = i.code from images i where i.id = e.image_id`.execute(db)
  await sql`alter table image_events alter column image_code set not null`.execute(db)
  await sql`comment on table image_events is 'Every state change of an image or a version, written in its transaction (the outbox); id orders them catalog-wide; kept when the image is deleted'`.execute(
    db
  )
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await sql`delete from image_events e where not exists (select 1 from images i where i.id = e.image_id)`.execute(db)
  await sql`alter table image_events drop column image_code, drop column version_id, drop column digest`.execute(db)
  await sql`alter table image_events add constraint image_events_image_id_fkey foreign key (image_id) references images (id) on delete cascade`.execute(
    db
  )
}
