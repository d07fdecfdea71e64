import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('resolutions')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    // No foreign key on purpose: its per-row check locks the same images row for every resolution,
    // the hottest write of the service. Writes join images instead (rows of a deleted image are
    // dropped), and rows left by a deletion are removed with it or by the retention prune.
    .addColumn('image_id', 'uuid', (c) => c.notNull())
    .addColumn('spec', 'text', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('digest', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('pipeline', 'text')
    .addColumn('build', 'text')
    .addColumn('token_id', 'uuid')
    // Set by the replica when it resolved, not when the batch was written.
    .addColumn('resolved_at', 'timestamptz', (c) => c.notNull())
    .execute()
  // One index per query path: an image's log newest first, filtered by project or by version;
  // the version index also answers usage (projects with counts) from the index alone.
  await sql`create index resolutions_image_time_idx on resolutions (image_id, resolved_at desc, id desc)`.execute(db)
  await sql`create index resolutions_image_project_time_idx on resolutions (image_id, project, resolved_at desc, id desc)`.execute(db)
  await sql`create index resolutions_image_version_time_idx on resolutions (image_id, version, resolved_at desc, id desc) include (project)`.execute(
    db
  )
  // Pruning by age: rows arrive in time order, so a BRIN index is tiny and nearly free to maintain.
  await sql`create index resolutions_resolved_at_brin on resolutions using brin (resolved_at)`.execute(db)

  await db.schema
    .createTable('pull_secret_grants')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    // No foreign keys: the record of a secret handed out outlives the credential and the image.
    .addColumn('credential_id', 'uuid', (c) => c.notNull())
    .addColumn('image_id', 'uuid', (c) => c.notNull())
    .addColumn('version', 'text', (c) => c.notNull())
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('pipeline', 'text')
    .addColumn('build', 'text')
    .addColumn('token_id', 'uuid', (c) => c.notNull())
    .addColumn('token_name', 'text', (c) => c.notNull())
    .addColumn('granted_at', 'timestamptz', (c) => c.notNull())
    .execute()
  await sql`create index pull_secret_grants_credential_idx on pull_secret_grants (credential_id, granted_at desc, id desc)`.execute(db)
  await sql`create index pull_secret_grants_granted_at_brin on pull_secret_grants using brin (granted_at)`.execute(db)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('pull_secret_grants').execute()
  await db.schema.dropTable('resolutions').execute()
}
