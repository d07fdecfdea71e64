import { sql, type Kysely } from 'kysely'

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('registry_credentials')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('project', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('description', 'text')
    .addColumn('username', 'text', (c) => c.notNull())
    // AES-256-GCM: iv || auth tag || ciphertext; the key id says which key sealed it (rotation).
    .addColumn('secret_ciphertext', 'bytea', (c) => c.notNull())
    .addColumn('secret_key_id', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('secret_rotated_at', 'timestamptz')
    .addUniqueConstraint('registry_credentials_project_name_key', ['project', 'name'])
    .execute()
  await db.schema
    .createIndex('registry_credentials_project_created_idx')
    .on('registry_credentials')
    .columns(['project', 'created_at', 'id'])
    .execute()
  await db.schema.createIndex('registry_credentials_key_id_idx').on('registry_credentials').column('secret_key_id').execute()

  await db.schema
    .createTable('images')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('owner_project', 'text', (c) => c.notNull())
    .addColumn('debug_project', 'text', (c) => c.notNull())
    .addColumn('credential_id', 'uuid', (c) => c.references('registry_credentials.id').onDelete('restrict'))
    .addColumn('summary', 'text')
    .addColumn('description', 'text')
    .addColumn('labels', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('visibility_public', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('visibility_projects', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    // Token names allowed to edit, publish and release.
    .addColumn('owners', sql`text[]`, (c) => c.notNull())
    // Bumped on every change: the ETag, and the compare-and-set guard of If-Match.
    .addColumn('revision', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('last_released_at', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('search', sql`tsvector`, (c) =>
      c.generatedAlwaysAs(sql`to_tsvector('simple', code || ' ' || name || ' ' || coalesce(summary, ''))`).stored()
    )
    .execute()
  await db.schema.createIndex('images_credential_id_idx').on('images').column('credential_id').execute()
  await db.schema.createIndex('images_owner_project_idx').on('images').columns(['owner_project', 'code']).execute()
  await db.schema.createIndex('images_debug_project_idx').on('images').columns(['debug_project', 'code']).execute()
  // "sort by last release": newest first, never-released images last, then by code.
  await sql`create index images_last_released_idx on images (last_released_at desc nulls last, code)`.execute(db)
  await db.schema.createIndex('images_labels_idx').on('images').using('gin').column('labels').execute()
  await db.schema.createIndex('images_visibility_projects_idx').on('images').using('gin').column('visibility_projects').execute()
  await db.schema.createIndex('images_search_idx').on('images').using('gin').column('search').execute()

  await db.schema
    .createTable('image_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('image_id', 'uuid', (c) => c.notNull().references('images.id').onDelete('cascade'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('actor_token_id', 'uuid')
    // The version the event is about, as 'M.m.p' (version transitions).
    .addColumn('version', 'text')
    .addColumn('details', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('request_id', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('image_events_image_idx').on('image_events').columns(['image_id', 'id']).execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('image_events').execute()
  await db.schema.dropTable('images').execute()
  await db.schema.dropTable('registry_credentials').execute()
}
