// The PostgreSQL server the benchmarks create their throwaway databases on.
import pg from 'pg'

export const BENCH_SERVER = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'

export const benchDatabaseUrl = (name: string): string => Object.assign(new URL(BENCH_SERVER), { pathname: `/${name}` }).toString()

/** Runs one statement (create/drop database) on its own connection. */
export async function admin(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: BENCH_SERVER })
  await client.connect()
  try {
    await client.query(query)
  } finally {
    await client.end()
  }
}
