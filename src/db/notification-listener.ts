import pg from 'pg'
import type { FastifyBaseLogger } from 'fastify'

export interface NotificationListenerOptions {
  url: string
  log: FastifyBaseLogger
  minBackoffMs?: number
  maxBackoffMs?: number
}

// Channel names go into LISTEN unquoted: keep them plain identifiers.
const CHANNEL_NAME = /^[a-z_][a-z0-9_]*$/

/**
 * One LISTEN connection for every channel of this replica. It is dedicated (a pooled connection
 * would be handed to other queries) and reconnects by itself, with exponential backoff, whenever
 * the server goes away. Notifications sent while it was away are lost: onConnect handlers run on
 * every (re)connection so their owners can catch up.
 */
export class NotificationListener {
  private readonly handlers = new Map<string, ((payload: string) => void)[]>()
  private readonly connectHandlers: (() => void)[] = []
  private client: pg.Client | undefined
  private retryTimer: NodeJS.Timeout | undefined
  private failures = 0
  private started = false
  private closed = false
  connected = false

  constructor(private readonly options: NotificationListenerOptions) {}

  /** Channels are known before the connection opens, so one LISTEN round covers them all. */
  on(channel: string, handler: (payload: string) => void): void {
    if (!CHANNEL_NAME.test(channel)) throw new Error(`notification channel "${channel}" is not a plain identifier`)
    if (this.started) throw new Error(`notification channel "${channel}" registered after the listener started`)
    this.handlers.set(channel, [...(this.handlers.get(channel) ?? []), handler])
  }

  /** Runs on every (re)connection, the first included: whatever was sent while disconnected was missed. */
  onConnect(handler: () => void): void {
    this.connectHandlers.push(handler)
  }

  /** Resolves after the first attempt, connected or not (later attempts run in the background). */
  start(): Promise<void> {
    this.started = true
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
    const client = new pg.Client({
      connectionString: this.options.url,
      keepAlive: true,
      connectionTimeoutMillis: 3000,
      application_name: 'ci-image-store-listen'
    })
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
      this.options.log.warn({ err, retryInMs: delay }, 'database notifications: connection lost; reconnecting')
      this.retryTimer = setTimeout(() => void this.connect(), delay)
      this.retryTimer.unref()
    }
    client.on('error', onLost)
    client.on('end', () => onLost())
    client.on('notification', ({ channel, payload }) => {
      if (!payload) return
      for (const handler of this.handlers.get(channel) ?? []) this.run(() => handler(payload), channel)
    })
    try {
      await client.connect()
      const channels = [...this.handlers.keys()]
      if (channels.length > 0) await client.query(channels.map((channel) => `listen ${channel}`).join('; '))
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
    if (this.failures > 0) this.options.log.info({ after: this.failures }, 'database notifications: reconnected')
    this.failures = 0
    for (const handler of this.connectHandlers) this.run(handler, 'connect')
  }

  // One failing handler must not keep the others (or the connection) from working.
  private run(handler: () => void, event: string): void {
    try {
      handler()
    } catch (err) {
      this.options.log.error({ err, event }, 'database notifications: a handler failed')
    }
  }
}
