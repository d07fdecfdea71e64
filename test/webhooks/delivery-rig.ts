/**
 * A real webhook receiver (node:http on 127.0.0.1) that verifies every signature with the
 * standardwebhooks library and records what it got, answering as each test scripts it; and the
 * few conversations a subscriber has with the service.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { once } from 'node:events'
import type { Socket } from 'node:net'
import type { Test } from 'tap'
import { Webhook } from 'standardwebhooks'
import { ADMIN_TOKEN, type TestApp } from '../helpers/app.js'
import { DeliveryWorker, type DeliveryWorkerOptions } from '../../src/webhooks/delivery/delivery-worker.js'
import { createReceiverClient } from '../../src/webhooks/delivery/receiver-client.js'
import { splitList } from '../../src/config.js'

export interface Received {
  webhookId: string
  timestamp: number
  signatures: string[]
  contentType: string | undefined
  body: Record<string, unknown>
  /** The secrets (of those the test gave) whose signature verified. */
  verifiedWith: string[]
  at: number
}

/** What the receiver does with the n-th request (0-based): answer, hold it until released, or drop the connection. */
export type Behaviour = (n: number, request: Received) => Answer
export type Answer = { status: number; headers?: Record<string, string>; delayMs?: number } | 'hold' | 'drop'

export interface Receiver {
  url: string
  port: number
  received: Received[]
  /** Requests that failed verification with every secret: must stay empty. */
  unverified: string[]
  secrets: string[]
  behave(behaviour: Behaviour): void
  /** Answers every held request with `status`. */
  release(status?: number): void
  held(): number
  close(): Promise<void>
  /** The CloudEvent types received, in order. */
  types(): string[]
}

export async function startReceiver(t: Test, secrets: string[] = []): Promise<Receiver> {
  const received: Received[] = []
  const unverified: string[] = []
  const heldResponses: ServerResponse[] = []
  const sockets = new Set<Socket>()
  let behaviour: Behaviour = () => ({ status: 204 })
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString()
      const headers = {
        'webhook-id': String(req.headers['webhook-id']),
        'webhook-timestamp': String(req.headers['webhook-timestamp']),
        'webhook-signature': String(req.headers['webhook-signature'])
      }
      const verifiedWith = receiver.secrets.filter((secret) => {
        try {
          new Webhook(secret).verify(raw, headers)
          return true
        } catch {
          return false
        }
      })
      if (verifiedWith.length === 0) unverified.push(headers['webhook-id'])
      const request: Received = {
        webhookId: headers['webhook-id'],
        timestamp: Number(headers['webhook-timestamp']),
        signatures: headers['webhook-signature'].split(' '),
        contentType: req.headers['content-type'],
        body: JSON.parse(raw) as Record<string, unknown>,
        verifiedWith,
        at: Date.now()
      }
      const answer = behaviour(received.length, request)
      received.push(request)
      if (answer === 'hold') heldResponses.push(res)
      else if (answer === 'drop') req.socket.destroy()
      else if (answer.delayMs) setTimeout(() => res.writeHead(answer.status, answer.headers).end(), answer.delayMs)
      else res.writeHead(answer.status, answer.headers).end()
    })
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  const { port } = server.address() as { port: number }
  const close = async () => {
    for (const socket of sockets) socket.destroy()
    if (server.listening) await new Promise((resolve) => server.close(resolve))
  }
  t.teardown(close)
  const receiver: Receiver = {
    url: `http://127.0.0.1:${port}/hooks`,
    port,
    received,
    unverified,
    secrets,
    behave: (b) => (behaviour = b),
    release(status = 204) {
      for (const res of heldResponses.splice(0)) if (!res.writableEnded && !res.destroyed) res.writeHead(status).end()
    },
    held: () => heldResponses.length,
    close,
    types: () => received.map((r) => String(r.body.type))
  }
  return receiver
}

/** Loopback receivers are private addresses: the service must be told they are meant. */
export const RECEIVER_ENV = { WEBHOOK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1', LOG_LEVEL: 'warn' }

export interface Subscription {
  id: string
  secret: string
}

/**
 * Subscribes the receiver through the API (admin: catalog-wide). Injected directly: the routes'
 * contract is the API's to test, these tests are about delivery.
 */
export async function subscribe(
  app: TestApp,
  receiver: Receiver,
  body: Record<string, unknown> = {},
  token?: string
): Promise<Subscription> {
  const res = await app.app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: { authorization: `Bearer ${token ?? ADMIN_TOKEN}` },
    payload: { url: receiver.url, events: ['*'], ...body }
  })
  if (res.statusCode !== 201) throw new Error(`subscribe: ${res.statusCode} ${res.body}`)
  const created = res.json<Subscription>()
  receiver.secrets.push(created.secret)
  return created
}

/** An image through the API: one image.associated event (its type as the service names it). */
export async function createImage(app: TestApp, code: string, ownerProject = 'payments'): Promise<void> {
  const res = await app.call({ method: 'POST', url: '/v1/images', payload: { code, name: `Image ${code}`, ownerProject } })
  if (res.statusCode !== 201) throw new Error(`image ${code}: ${res.statusCode} ${res.body}`)
}

export async function updateImage(app: TestApp, code: string, name: string): Promise<void> {
  const res = await app.call({ method: 'PATCH', url: `/v1/images/${code}`, payload: { name } })
  if (res.statusCode !== 200) throw new Error(`update ${code}: ${res.statusCode} ${res.body}`)
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

/** Polls until `probe` is true; fails with `what` after `ms`. */
export async function waitFor(what: string, probe: () => boolean | Promise<boolean>, ms = 15_000): Promise<number> {
  const started = Date.now()
  while (!(await probe())) {
    if (Date.now() - started > ms) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await sleep(10)
  }
  return Date.now() - started
}

/**
 * Swaps the app's delivery worker for one with a short retry schedule (the production one spans
 * days): the same class, database, sealer and guarded client; only the waits are shorter.
 */
export async function useShortSchedule(
  t: Test,
  app: TestApp,
  options: Partial<Pick<DeliveryWorkerOptions, 'schedule' | 'random' | 'concurrency' | 'leaseMs'>> = {}
): Promise<DeliveryWorker> {
  await app.app.ready()
  await app.app.webhookDelivery.worker.stop()
  const { config } = app
  const allowedPrivateHosts = splitList(config.WEBHOOK_ALLOWED_PRIVATE_HOSTS)
  const receivers = createReceiverClient({ allowedPrivateHosts, timeoutMs: config.WEBHOOK_TIMEOUT_MS })
  const worker = new DeliveryWorker({
    db: app.app.db,
    log: app.app.log,
    sealer: app.app.secretSealer,
    receivers,
    allowedPrivateHosts,
    timeoutMs: config.WEBHOOK_TIMEOUT_MS,
    concurrency: 4,
    pollIntervalMs: 50,
    leaseMs: config.WEBHOOK_TIMEOUT_MS + 5_000,
    schedule: { delaysMs: [100, 200, 300], jitter: 0, maxRetryAfterMs: 5_000 },
    ...options
  })
  worker.start()
  t.teardown(async () => {
    await worker.stop()
    await receivers.close()
  })
  return worker
}

/** The deliveries of a subscription with their attempts, oldest event first. */
export async function deliveriesOf(app: TestApp, subscriptionId: string) {
  const db = app.app.db
  const deliveries = await db
    .selectFrom('webhookDeliveries')
    .selectAll()
    .where('subscriptionId', '=', subscriptionId)
    .orderBy('eventId')
    .execute()
  if (deliveries.length === 0) return []
  const attempts = await db
    .selectFrom('webhookDeliveryAttempts')
    .selectAll()
    .where(
      'deliveryId',
      'in',
      deliveries.map((d) => d.id)
    )
    .orderBy('id')
    .execute()
  return deliveries.map((d) => ({ ...d, attemptLog: attempts.filter((a) => a.deliveryId === d.id) }))
}
