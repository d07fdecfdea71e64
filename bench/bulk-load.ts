import pg from 'pg'

/**
 * Loads `images` public images with 10 released versions each, set-based (generate_series). The
 * secondary indexes are dropped first and rebuilt after the insert (sorted builds are far quicker
 * than a million random insertions); the schema ends exactly as the migrations left it.
 */
export async function bulkLoad(databaseUrl: string, images: number): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl })
  await client.connect()
  try {
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `select i.indexname as name, i.indexdef as definition from pg_indexes i
       where i.schemaname = 'public' and i.tablename in ('images', 'image_versions')
         and not exists (select 1 from pg_constraint c where c.conname = i.indexname)`
    )
    await client.query('begin')
    await client.query("set local maintenance_work_mem = '256MB'")
    // Rows are consistent by construction: skip the per-row foreign-key triggers.
    await client.query('set local session_replication_role = replica')
    for (const index of indexes) await client.query(`drop index ${index.name}`)
    await client.query(
      `insert into images (code, name, owner_project, debug_project, created_by, visibility_public)
       select 'bulk-' || g, 'bulk ' || g, 'owner-proj', 'debug-proj', 'bench', true from generate_series(1, $1::int) g`,
      [images]
    )
    await client.query(
      `insert into image_versions (image_id, major, minor, patch, status, registry, repository, tag, digest, platforms, submitted_by)
       select i.id, 1, v, 0, 'released', 'registry.example.com', 'bench/' || i.code, '1.' || v || '.0',
              'sha256:' || md5(i.code || v) || md5(v || i.code), '[{"os":"linux","architecture":"amd64"}]'::jsonb, 'bench'
       from images i cross join generate_series(0, 9) v where i.code like 'bulk-%'`
    )
    for (const index of indexes) await client.query(index.definition)
    await client.query('commit')
    await client.query('vacuum analyze images, image_versions')
  } finally {
    await client.end()
  }
}
