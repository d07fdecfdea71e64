import pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'

export interface ChangeListenerOptions {
  url: string
  channel: string
  log: FastifyBaseLogger
  onNotification(payload: string): void
  /** Called on every (re)connection: notifications sent while disconnected were missed. */
  onConnected(): void
  minBackoffMs?: number
  maxBackoffMs?: number
}

/**
 * LISTENs on a dedicated connection (a pooled one would be handed to other queries) and
 * reconnects by itself, with exponential backoff, whenever the server goes away.
 */
export class ChangeListener {
  private client: pg.Client | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private failures = 0
  private closed = false
  connected = false

  constructor(private readonly options: ChangeListenerOptions) {}

  /** Resolves after the first attempt, connected or not (later attempts run in the background). */
  start(): Promise<void> {
    return this.connect()
  }

  async close(): Promise<void> {
    this.closed = true
    clearTimeout(this.retryTimer)
    this.connected = false
    await this.client?.end().catch(() => {})
  }

  private async connect(): Promise<void> {
    if (this.closed) return
    const client = new pg.Client({ connectionString: this.options.url, keepAlive: true, connectionTimeoutMillis: 3000, application_name: 'ci-image-store-listen' })
    let lost = false
    const onLost = (err?: Error) => {
      if (lost) return
      lost = true
      this.connected = false
      if (this.client === client) this.client = undefined
      client.end().catch(() => {})
      if (this.closed) return
      const delay = Math.min(this.options.maxBackoffMs ?? 5000, (this.options.minBackoffMs ?? 200) * 2 ** this.failures)
      this.failures++
      this.options.log.warn({ err, retryInMs: delay }, 'image change notifications: connection lost; reconnecting')
      this.retryTimer = setTimeout(() => void this.connect(), delay)
      this.retryTimer.unref()
    }
    client.on('error', onLost)
    client.on('end', () => onLost())
    client.on('notification', (message) => {
      if (message.channel === this.options.channel && message.payload) this.options.onNotification(message.payload)
    })
    try {
      await client.connect()
      await client.query(`listen ${this.options.channel}`)
    } catch (err) {
      onLost(err as Error)
      return
    }
    if (this.closed || lost) {
      await client.end().catch(() => {})
      return
    }
    this.client = client
    this.connected = true
    if (this.failures > 0) this.options.log.info({ after: this.failures }, 'image change notifications: reconnected')
    this.failures = 0
    this.options.onConnected()
  }
}
