import { mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { CamelCasePlugin, Kysely, PostgresDialect, type Dialect } from 'kysely'
import pg from 'pg'
import { PGlite } from '@electric-sql/pglite'
import { PGliteDialect } from 'kysely-pglite-dialect'
import type { DB } from './schema.js'

// int8 (counts, sums) arrive as strings by default; every bigint we store fits a double.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value))

export type Database = Kysely<DB>

export interface DatabaseHandle {
  db: Database
  /** 'postgres' when DATABASE_URL is set, 'embedded' for PGlite under DATA_DIR. */
  kind: 'postgres' | 'embedded'
  /**
   * A URL reaching PostgreSQL directly (DATABASE_DIRECT_URL, else DATABASE_URL), for what needs a
   * session of its own and must not go through a transaction pooler: LISTEN and migrations.
   */
  url?: string
  /** True when `url` differs from the URL the pool's queries take (a pooler sits in between). */
  pooled?: boolean
  /** The pg pool, so a feature can observe connection errors; absent on the embedded database. */
  pool?: pg.Pool
  close(): Promise<void>
}

export interface DatabaseOptions {
  databaseUrl?: string | undefined
  /** Direct URL for LISTEN and migrations when DATABASE_URL goes through a pooler such as PgBouncer. */
  directUrl?: string | undefined
  dataDir: string
  poolMax: number
}

export function openDatabase(options: DatabaseOptions): DatabaseHandle {
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolMax,
      // Fail fast when the server is gone, so callers can fall back (resolve) or answer 503 (writes).
      connectionTimeoutMillis: 3000,
      application_name: 'ci-image-store'
    })
    // An idle client losing its server emits here; without a listener it would crash the process.
    pool.on('error', () => {})
    // A client checked out of the pool has no listener of the pool's (pg-pool removes it on
    // checkout), so a server lost between two of its queries would emit an 'error' nobody hears and
    // crash the process. The query in flight, or the next one, fails by itself and is answered 503.
    pool.on('connect', (client) => client.on('error', () => {}))
    const direct = options.directUrl ?? options.databaseUrl
    return wrap(new PostgresDialect({ pool }), 'postgres', pool, direct, direct !== options.databaseUrl)
  }
  const dir = resolve(options.dataDir, 'pglite')
  mkdirSync(dir, { recursive: true, mode: 0o700 })
  return wrap(new PGliteDialect(new PGlite(dir)), 'embedded')
}

function wrap(dialect: Dialect, kind: DatabaseHandle['kind'], pool?: pg.Pool, url?: string, pooled = false): DatabaseHandle {
  const db = new Kysely<DB>({ dialect, plugins: [new CamelCasePlugin()] })
  let closed: Promise<void> | undefined
  return {
    db,
    kind,
    ...(pool ? { pool } : {}),
    ...(url ? { url, pooled } : {}),
    close: () => (closed ??= db.destroy())
  }
}
