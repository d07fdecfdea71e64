// Other replicas learn of a new job through PostgreSQL NOTIFY (sent by enqueueCheck when its
// transaction commits) instead of waiting for their next poll. Best effort: if the connection
// drops, polling still finds every job, and we reconnect in the background.
import pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'
import { CHECK_JOBS_CHANNEL } from './check-jobs.repository.js'

const RECONNECT_MS = 5_000

export interface JobListener {
  close(): Promise<void>
}

export function listenForJobs(databaseUrl: string, onJob: () => void, log: FastifyBaseLogger): JobListener {
  let client: pg.Client | undefined
  let closed = false
  let retry: NodeJS.Timeout | undefined

  const reconnectLater = () => {
    if (closed || retry) return
    retry = setTimeout(() => {
      retry = undefined
      void connect()
    }, RECONNECT_MS)
    retry.unref()
  }

  const connect = async () => {
    const c = new pg.Client({ connectionString: databaseUrl, application_name: 'ci-image-store:check-jobs-listener' })
    c.on('notification', () => onJob())
    c.on('error', (err) => {
      log.warn({ err }, 'check job listener lost its connection; polling until it reconnects')
      if (client === c) client = undefined
      c.end().catch(() => {})
      reconnectLater()
    })
    try {
      await c.connect()
      await c.query(`LISTEN ${CHECK_JOBS_CHANNEL}`)
      if (closed) {
        await c.end()
        return
      }
      client = c
      onJob() // jobs queued while we were not listening
    } catch (err) {
      log.warn({ err }, 'check job listener could not connect; polling until it does')
      c.end().catch(() => {})
      reconnectLater()
    }
  }

  const started = connect()
  return {
    async close() {
      closed = true
      clearTimeout(retry)
      await started
      await client?.end().catch(() => {})
      client = undefined
    }
  }
}
