import { sql, type Kysely } from 'kysely'

const STATUSES = ['checking', 'check_failed', 'testing', 'released', 'cancelled', 'withdrawn']

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('image_versions')
    .addColumn('id', 'uuid', (c) => c.primaryKey().defaultTo(sql`gen_random_uuid()`))
    .addColumn('image_id', 'uuid', (c) => c.notNull().references('images.id').onDelete('cascade'))
    // Numbers, never strings: ordering is numeric everywhere (1.10.0 > 1.9.0).
    .addColumn('major', 'integer', (c) => c.notNull().check(sql`major >= 0`))
    .addColumn('minor', 'integer', (c) => c.notNull().check(sql`minor >= 0`))
    .addColumn('patch', 'integer', (c) => c.notNull().check(sql`patch >= 0`))
    // NULL for an image's first version, which has no bump.
    .addColumn('release_type', 'text', (c) => c.check(sql`release_type in ('major', 'minor', 'patch')`))
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in (${sql.join(STATUSES.map((s) => sql.lit(s)))})`))
    .addColumn('status_reason', 'text')
    // Outcome class of the last check: not_found, unauthorized, rate_limited, unavailable, invalid, refused.
    .addColumn('check_class', 'text')
    .addColumn('registry', 'text', (c) => c.notNull())
    .addColumn('repository', 'text', (c) => c.notNull())
    .addColumn('tag', 'text', (c) => c.notNull())
    .addColumn('credential_id', 'uuid', (c) => c.references('registry_credentials.id').onDelete('restrict'))
    .addColumn('dockerfile', 'text')
    .addColumn('release_notes', 'text')
    .addColumn('digest', 'text')
    .addColumn('media_type', 'text')
    .addColumn('platforms', 'jsonb')
    .addColumn('size', 'bigint')
    .addColumn('checked_at', 'timestamptz')
    .addColumn('submitted_by', 'text', (c) => c.notNull())
    .addColumn('submitted_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('released_by', 'text')
    .addColumn('released_at', 'timestamptz')
    .addColumn('cancelled_by', 'text')
    .addColumn('cancelled_at', 'timestamptz')
    .addColumn('withdrawn_by', 'text')
    .addColumn('withdrawn_at', 'timestamptz')
    .addColumn('withdraw_reason', 'text')
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  // The database, not a read-then-write, keeps these true under concurrent submissions and replicas:
  // at most one version of an image in progress ...
  await sql`create unique index image_versions_one_in_progress on image_versions (image_id)
            where status in ('checking', 'check_failed', 'testing')`.execute(db)
  // ... a number is never used twice, except by cancelled versions (their number is free again) ...
  await sql`create unique index image_versions_number_key on image_versions (image_id, major, minor, patch)
            where status <> 'cancelled'`.execute(db)
  // ... and one registry/repository:tag is released at most once per image.
  await sql`create unique index image_versions_released_reference on image_versions (image_id, registry, repository, tag)
            where status = 'released'`.execute(db)
  // Resolve and listing walk an image's versions newest-first by number.
  await sql`create index image_versions_order_idx on image_versions (image_id, major desc, minor desc, patch desc)`.execute(db)
  await db.schema.createIndex('image_versions_credential_id_idx').on('image_versions').column('credential_id').execute()

  await db.schema
    .createTable('check_jobs')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('version_id', 'uuid', (c) => c.notNull().unique().references('image_versions.id').onDelete('cascade'))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('run_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // A taken job is leased, so a replica that dies mid-check releases it when the lease runs out.
    .addColumn('locked_until', 'timestamptz')
    .addColumn('locked_by', 'text')
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('check_jobs_run_at_idx').on('check_jobs').columns(['run_at', 'id']).execute()

  await db.schema
    .createTable('idempotency_keys')
    .addColumn('token_id', 'uuid', (c) => c.notNull().references('api_tokens.id').onDelete('cascade'))
    .addColumn('key', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('request_hash', 'text', (c) => c.notNull())
    .addColumn('response_status', 'integer', (c) => c.notNull())
    .addColumn('response_headers', 'jsonb', (c) => c.notNull())
    .addColumn('response_body', 'jsonb', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('idempotency_keys_pkey', ['token_id', 'scope', 'key'])
    .execute()
  await db.schema.createIndex('idempotency_keys_created_idx').on('idempotency_keys').column('created_at').execute()
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('idempotency_keys').execute()
  await db.schema.dropTable('check_jobs').execute()
  await db.schema.dropTable('image_versions').execute()
}
