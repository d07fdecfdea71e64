// The migration that partitions the log by day, run on a database holding rows written before it:
// every row and its id move over, new ids follow on, and down gives the single tables back.
import t from 'tap'
import pg from 'pg'
import { Kysely, Migrator, PostgresDialect, sql } from 'kysely'
import { migrations } from '../../migrations/index.js'
import { freshDatabaseUrl } from '../helpers/database.js'

const MIGRATION = '20261206100000_partitioned_log'
const DAY_MS = 86_400_000
const IMAGE = '0b6f0f8e-8d0e-4a8c-9a43-2f7c1c3b9a01'

t.test('rows written before the log was partitioned are all kept, under their ids', async (t) => {
  const databaseUrl = await freshDatabaseUrl(t)
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const db = new Kysely<any>({ dialect: new PostgresDialect({ pool: new pg.Pool({ connectionString: databaseUrl }) }) })
  t.teardown(() => db.destroy())
  const names = Object.keys(migrations)
  const before = names[names.indexOf(MIGRATION) - 1]
  if (before === undefined) throw new Error(`${MIGRATION} is not registered`)
  const migrator = new Migrator({ db, provider: { getMigrations: async () => migrations } })
  const migrateTo = async (name: string) => {
    const result = await migrator.migrateTo(name)
    if (result.error) throw result.error
  }
  await migrateTo(before)

  const days = [12, 3, 0]
  for (const [i, daysAgo] of days.entries()) {
    const at = new Date(Date.now() - daysAgo * DAY_MS).toISOString()
    await sql`insert into resolutions (image_id, spec, version, status, digest, project, pipeline, build, count, first_resolved_at, resolved_at)
      values (${IMAGE}, '1.latest', '1.0.0', 'released', 'sha256:x', 'payments', 'main', ${`b${i}`}, ${i + 1}, ${at}, ${at})`.execute(db)
    await sql`insert into pull_secret_grants (credential_id, image_id, version, project, token_id, token_name, granted_at)
      values (${IMAGE}, ${IMAGE}, '1.0.0', 'payments', ${IMAGE}, 'engine', ${at})`.execute(db)
  }
  const rows = async (table: string) =>
    (
      await sql<{
        id: number
        relation: string
      }>`select id::int, tableoid::regclass::text as relation from ${sql.table(table)} order by id`.execute(db)
    ).rows
  const idsBefore = (await rows('resolutions')).map((r) => r.id)

  await migrateTo(MIGRATION)
  const after = await rows('resolutions')
  t.same(
    after.map((r) => r.id),
    idsBefore
  )
  const dayName = (daysAgo: number) => new Date(Date.now() - daysAgo * DAY_MS).toISOString().slice(0, 10).replaceAll('-', '')
  t.same(
    after.map((r) => r.relation),
    days.map((d) => `resolutions_p${dayName(d)}`),
    'each row in the partition of its day'
  )
  t.same(
    (await rows('pull_secret_grants')).map((r) => r.relation),
    days.map((d) => `pull_secret_grants_p${dayName(d)}`)
  )
  const partitions = await sql<{ name: string }>`
    select c.relname as name from pg_inherits i join pg_class c on c.oid = i.inhrelid where i.inhparent = 'resolutions'::regclass`.execute(
    db
  )
  t.equal(partitions.rows.length, 12 + 1 + 7, "from the oldest row's day to a week ahead")
  const next = await sql<{
    id: number
  }>`insert into resolutions (image_id, spec, version, status, digest, project, first_resolved_at, resolved_at)
    values (${IMAGE}, '1.latest', '1.0.0', 'released', 'sha256:x', 'payments', now(), now()) returning id::int`.execute(db)
  t.ok(next.rows[0]!.id > Math.max(...idsBefore), 'new ids follow on from the old ones')
  const indexesOf = async (table: string) =>
    (await sql<{ name: string }>`select indexname as name from pg_indexes where tablename = ${table} order by 1`.execute(db)).rows.map(
      (r) => r.name
    )
  t.same(await indexesOf('resolutions'), ['resolutions_image_time_idx'], 'one index on the whole table, no primary key, no BRIN')
  t.same(
    await indexesOf(`resolutions_p${dayName(3)}`),
    [
      `resolutions_p${dayName(3)}_image_id_resolved_at_id_idx`,
      `resolutions_p${dayName(3)}_image_project_time_idx`,
      `resolutions_p${dayName(3)}_image_spec_time_idx`,
      `resolutions_p${dayName(3)}_image_version_time_idx`
    ],
    'a closed day copied over has the indexes of its reads'
  )
  t.same(await indexesOf(`resolutions_p${dayName(0)}`), [`resolutions_p${dayName(0)}_image_id_resolved_at_id_idx`], 'today, one')

  await migrateTo(before)
  const down = await rows('resolutions')
  t.same(
    down.map((r) => r.relation),
    down.map(() => 'resolutions'),
    'down: one table again'
  )
  t.equal(down.length, idsBefore.length + 1)
  t.equal((await rows('pull_secret_grants')).length, days.length)
  await migrateTo(MIGRATION)
  t.equal((await rows('resolutions')).length, idsBefore.length + 1, 'and up again')
})
