// `explain (analyze, buffers)` of a repository function's own statement: the function runs once on a
// Kysely that records what it sends, then the statement is explained with the same parameters. No
// copy of the SQL to drift from the repository's. It runs twice first, on the connection that
// explains, so that the planning time shown is not that of a connection's first look at 38
// partitions (their catalog entries not yet cached).
import { CamelCasePlugin, Kysely, PostgresDialect, type CompiledQuery } from 'kysely'
import pg from 'pg'
import type { DB, Db } from '../src/db/schema.js'

export async function explainRepositoryQuery(
  databaseUrl: string,
  run: (db: Db) => Promise<unknown>,
  settings: string[] = []
): Promise<string> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 1 })
  const sent: CompiledQuery[] = []
  const db = new Kysely<DB>({
    dialect: new PostgresDialect({ pool }),
    plugins: [new CamelCasePlugin()],
    log: (event) => {
      if (event.level === 'query') sent.push(event.query)
    }
  })
  try {
    for (const setting of settings) await pool.query(setting)
    await run(db)
    await run(db)
    const query = sent.at(-1)
    if (!query) throw new Error('the repository function sent no statement')
    const { rows } = await pool.query<{ 'QUERY PLAN': string }>(`explain (analyze, buffers) ${query.sql}`, [...query.parameters])
    return rows.map((r) => r['QUERY PLAN']).join('\n')
  } finally {
    await db.destroy()
  }
}
