/**
 * What the drill asks of the service and of its database: a publisher's HTTP calls (to the proxy or
 * to one replica) and the rows that tell who holds a check and how often it was applied.
 */
import pg from 'pg'
import { request } from 'undici'
import { ADMIN_TOKEN } from '../helpers/app.js'
import { sleep } from './story-helpers.js'

export interface Answer {
  status: number
  body: Record<string, unknown>
}

/** One request on a connection of its own, so a replica restarting between calls never meets a stale socket. */
export async function call(
  origin: string,
  method: 'GET' | 'POST',
  path: string,
  options: { token?: string; payload?: object } = {}
): Promise<Answer> {
  const res = await request(`${origin}${path}`, {
    method,
    reset: true,
    headersTimeout: 10_000,
    bodyTimeout: 10_000,
    headers: {
      authorization: `Bearer ${options.token ?? ADMIN_TOKEN}`,
      ...(options.payload ? { 'content-type': 'application/json' } : {})
    },
    body: options.payload ? JSON.stringify(options.payload) : null
  })
  const text = await res.body.text()
  return { status: res.statusCode, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} }
}

/** GETs the version until it leaves `checking` (limitMs at most) and returns its body. */
export async function waitChecked(origin: string, code: string, version: string, limitMs: number): Promise<Record<string, unknown>> {
  const deadline = Date.now() + limitMs
  for (;;) {
    const res = await call(origin, 'GET', `/v1/images/${code}/versions/${version}`)
    if (res.status !== 200) throw new Error(`GET version ${version}: ${res.status} ${JSON.stringify(res.body)}`)
    if (res.body.status !== 'checking' || Date.now() > deadline) return res.body
    await sleep(20)
  }
}

/** The drill's window on the database, on a direct connection (not through PgBouncer). */
export function drillDatabase(directUrl: string) {
  const pool = new pg.Pool({ connectionString: directUrl, max: 2 })
  pool.on('error', () => {})
  const one = async <T>(text: string, values: unknown[]): Promise<T | undefined> =>
    (await pool.query(text, values)).rows[0] as T | undefined

  return {
    async versionId(code: string, version: string): Promise<string> {
      const [major, minor, patch] = version.split('.').map(Number)
      const row = await one<{ id: string }>(
        'select v.id from image_versions v join images i on i.id = v.image_id where i.code = $1 and v.major = $2 and v.minor = $3 and v.patch = $4',
        [code, major, minor, patch]
      )
      if (!row) throw new Error(`no version ${code} ${version}`)
      return row.id
    },
    /** The lease on the version's check job, or undefined when none is held (or no job is left). */
    async lease(versionId: string): Promise<{ lockedBy: string; lockedUntil: Date } | undefined> {
      const row = await one<{ locked_by: string | null; locked_until: Date | null }>(
        "select locked_by, locked_until from check_jobs where version_id = $1 and kind = 'pullability'",
        [versionId]
      )
      return row?.locked_by && row.locked_until ? { lockedBy: row.locked_by, lockedUntil: row.locked_until } : undefined
    },
    /** The version's check_passed events, each with the attempt (lease) that applied it. */
    async checkPassed(versionId: string): Promise<{ attempts: number; createdAt: Date }[]> {
      const { rows } = await pool.query<{ attempts: number; createdAt: Date }>(
        `select (details->>'attempts')::int as attempts, created_at as "createdAt"
           from image_events where action = 'version.check_passed' and version_id = $1`,
        [versionId]
      )
      return rows
    },
    async checkJobs(): Promise<number> {
      return (await one<{ n: number }>("select count(*)::int as n from check_jobs where kind = 'pullability'", []))?.n ?? 0
    },
    close: () => pool.end()
  }
}

export type DrillDatabase = ReturnType<typeof drillDatabase>
