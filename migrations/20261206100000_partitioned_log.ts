import { sql, type Kysely } from 'kysely'

// The resolution log and the pull-secret grants become range-partitioned by time, one partition per
// UTC day named <table>_pYYYYMMDD, so retention drops whole days instead of deleting rows, and a
// query bounded by time reads only its days. The service creates partitions ahead of time (see
// src/resolution-log/log-partitions.ts); this migration creates the days the existing rows need and
// the next few, and copies the rows over.
//
// Fewer indexes: no primary key (nothing looks a row up by id: pages are keyed on (time, id), which
// the indexes end with, and ids stay unique by their sequence) and no BRIN (retention no longer
// scans by time). The day being written keeps one index; the others each serve one read of the
// API and are built per day once it has closed.

const DAY_MS = 86_400_000
const AHEAD_DAYS = 7

interface LogTable {
  name: 'resolutions' | 'pull_secret_grants'
  time: 'resolved_at' | 'granted_at'
  columns: string
  definition: string
  indexes: string[]
}

const RESOLUTIONS: LogTable = {
  name: 'resolutions',
  time: 'resolved_at',
  columns: 'id, image_id, spec, version, status, digest, project, pipeline, build, token_id, count, first_resolved_at, resolved_at',
  definition: `
    id bigint not null default nextval('resolutions_id_seq'),
    image_id uuid not null,
    spec text not null,
    version text not null,
    status text not null,
    digest text not null,
    project text not null,
    pipeline text,
    build text,
    token_id uuid,
    count integer not null default 1 check (count > 0),
    first_resolved_at timestamptz not null,
    resolved_at timestamptz not null,
    constraint resolutions_times_ordered check (first_resolved_at <= resolved_at)`,
  indexes: ['create index resolutions_image_time_idx on resolutions (image_id, resolved_at desc, id desc)']
}

// The other indexes of the log are per day, built once a day has closed (an hour after it ends), by
// the service from then on (src/resolution-log/log-partitions.ts); here for the days copied over.
const CLOSED_DAY_INDEXES: Record<string, string> = {
  image_project_time_idx: '(image_id, project, resolved_at desc, id desc)',
  image_version_time_idx: '(image_id, version, resolved_at desc, id desc) include (project, count)',
  image_spec_time_idx: '(image_id, spec, resolved_at desc) include (project, pipeline, count)'
}
const CLOSED_AFTER_MS = 3_600_000

const GRANTS: LogTable = {
  name: 'pull_secret_grants',
  time: 'granted_at',
  columns: 'id, credential_id, image_id, version, project, pipeline, build, token_id, token_name, granted_at',
  definition: `
    id bigint not null default nextval('pull_secret_grants_id_seq'),
    credential_id uuid not null,
    image_id uuid not null,
    version text not null,
    project text not null,
    pipeline text,
    build text,
    token_id uuid not null,
    token_name text not null,
    granted_at timestamptz not null`,
  indexes: ['create index pull_secret_grants_credential_idx on pull_secret_grants (credential_id, granted_at desc, id desc)']
}

const startOfDay = (ms: number) => Math.floor(ms / DAY_MS) * DAY_MS
const dayName = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '')

async function partition(db: Kysely<unknown>, table: LogTable): Promise<void> {
  const old = `${table.name}_before_partitioning`
  await sql.raw(`alter table ${table.name} rename to ${old}`).execute(db)
  await sql.raw(`alter sequence ${table.name}_id_seq owned by none`).execute(db)
  await sql.raw(`create table ${table.name} (${table.definition}) partition by range (${table.time})`).execute(db)
  await sql.raw(`alter sequence ${table.name}_id_seq owned by ${table.name}.id`).execute(db)

  const { rows } = await sql<{ first: Date | null }>`select min(${sql.ref(table.time)}) as first from ${sql.table(old)}`.execute(db)
  const today = startOfDay(Date.now())
  const first = rows[0]?.first ? Math.min(startOfDay(new Date(rows[0].first).getTime()), today) : today
  for (let day = first; day <= today + AHEAD_DAYS * DAY_MS; day += DAY_MS) {
    const from = new Date(day).toISOString()
    const to = new Date(day + DAY_MS).toISOString()
    await sql
      .raw(`create table ${table.name}_p${dayName(day)} partition of ${table.name} for values from ('${from}') to ('${to}')`)
      .execute(db)
  }
  await sql.raw(`insert into ${table.name} (${table.columns}) select ${table.columns} from ${old}`).execute(db)
  await sql.raw(`drop table ${old}`).execute(db)
  for (const index of table.indexes) await sql.raw(index).execute(db)
  if (table.name !== 'resolutions') return
  for (let day = first; day + DAY_MS + CLOSED_AFTER_MS <= Date.now(); day += DAY_MS) {
    for (const [suffix, columns] of Object.entries(CLOSED_DAY_INDEXES))
      await sql.raw(`create index resolutions_p${dayName(day)}_${suffix} on resolutions_p${dayName(day)} ${columns}`).execute(db)
  }
}

async function unpartition(db: Kysely<unknown>, table: LogTable, oldIndexes: string[]): Promise<void> {
  // The indexes of the days go with the partitioned table.
  const partitioned = `${table.name}_partitioned`
  await sql.raw(`alter table ${table.name} rename to ${partitioned}`).execute(db)
  await sql.raw(`alter sequence ${table.name}_id_seq owned by none`).execute(db)
  await sql.raw(`create table ${table.name} (${table.definition.replace('id bigint not null', 'id bigint primary key')})`).execute(db)
  await sql.raw(`alter sequence ${table.name}_id_seq owned by ${table.name}.id`).execute(db)
  await sql.raw(`insert into ${table.name} (${table.columns}) select ${table.columns} from ${partitioned}`).execute(db)
  // Dropping the partitioned table drops its partitions and its indexes.
  await sql.raw(`drop table ${partitioned}`).execute(db)
  for (const index of [...table.indexes, ...oldIndexes]) await sql.raw(index).execute(db)
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await partition(db, RESOLUTIONS)
  await partition(db, GRANTS)
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await unpartition(db, RESOLUTIONS, [
    'create index resolutions_image_project_time_idx on resolutions (image_id, project, resolved_at desc, id desc)',
    'create index resolutions_image_version_time_idx on resolutions (image_id, version, resolved_at desc, id desc) include (project, count)',
    'create index resolutions_image_spec_time_idx on resolutions (image_id, spec, resolved_at desc) include (project, pipeline, count)',
    'create index resolutions_resolved_at_brin on resolutions using brin (resolved_at)'
  ])
  await unpartition(db, GRANTS, ['create index pull_secret_grants_granted_at_brin on pull_secret_grants using brin (granted_at)'])
}
