// `npm run bench:webhooks`: how long a release takes to reach a webhook receiver. The service runs
// in this process on a throwaway PostgreSQL database (BENCH_POSTGRES_URL's server, created and
// dropped here) and delivers to a real receiver on 127.0.0.1 that verifies every signature. Each
// latency runs from sending the release request to the receiver holding the verified message.
// Two runs: releases one at a time (the path's own latency), and a burst released at once (deliveries
// to one subscription go one at a time, in order, so later ones queue behind earlier ones).
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { createServer } from 'node:http'
import pg from 'pg'
import { Webhook } from 'standardwebhooks'
import { buildApp } from '../src/app.js'
import { loadConfig } from '../src/config.js'

const RELEASES = Number(process.env.WEBHOOK_BENCH_RELEASES ?? 200)
const BURST_CONCURRENCY = 16
const SERVER = process.env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres'
const ADMIN_TOKEN = `cis_${randomBytes(24).toString('hex')}`
const auth = { authorization: `Bearer ${ADMIN_TOKEN}` }

async function admin(query: string): Promise<void> {
  const client = new pg.Client({ connectionString: SERVER })
  await client.connect()
  try {
    await client.query(query)
  } finally {
    await client.end()
  }
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN
}

function summary(name: string, latencies: number[]): string {
  const sorted = [...latencies].sort((a, b) => a - b)
  const f = (ms: number) => `${ms.toFixed(1)} ms`
  return `${name.padEnd(26)} n=${sorted.length}  median ${f(percentile(sorted, 50))}  p99 ${f(percentile(sorted, 99))}  max ${f(sorted.at(-1) ?? NaN)}`
}

const database = `cis_webhook_bench_${randomBytes(4).toString('hex')}`
await admin(`create database ${database}`)
const receiver = createServer()
let app: Awaited<ReturnType<typeof buildApp>> | undefined
try {
  const databaseUrl = Object.assign(new URL(SERVER), { pathname: `/${database}` }).toString()
  app = await buildApp({
    config: loadConfig({
      DATABASE_URL: databaseUrl,
      ADMIN_TOKEN,
      CREDENTIALS_KEY: randomBytes(32).toString('base64'),
      LOG_LEVEL: 'warn',
      RATE_LIMIT_ENABLED: 'false',
      WEBHOOK_ALLOWED_PRIVATE_HOSTS: '127.0.0.1'
    })
  })
  await app.ready()

  // The receiver: verifies the signature, then notes when the release's message arrived.
  const signing: { webhook?: Webhook } = {}
  const arrived = new Map<string, (at: number) => void>()
  let unverified = 0
  receiver.on('request', (req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const at = performance.now()
      const body = Buffer.concat(chunks).toString()
      try {
        signing.webhook?.verify(body, req.headers as Record<string, string>)
      } catch {
        unverified++
      }
      res.writeHead(204).end()
      const { data } = JSON.parse(body) as { data: { imageCode: string; version: string } }
      arrived.get(`${data.imageCode}@${data.version}`)?.(at)
    })
  })
  receiver.listen(0, '127.0.0.1')
  await once(receiver, 'listening')
  const { port } = receiver.address() as { port: number }

  const subscribed = await app.inject({
    method: 'POST',
    url: '/v1/webhooks',
    headers: auth,
    payload: { url: `http://127.0.0.1:${port}/hooks`, events: ['version.released'] }
  })
  if (subscribed.statusCode !== 201) throw new Error(`subscribe: ${subscribed.body}`)
  signing.webhook = new Webhook(subscribed.json<{ secret: string }>().secret)

  // Versions ready for release, written as a passed check leaves them: the release is what is
  // measured. An image has one version in progress at a time, so each release is of its own image.
  const versions: { code: string; version: string }[] = []
  for (let i = 0; i < 2 * RELEASES; i++) {
    const code = `bench-${i}`
    const res = await app.inject({ method: 'POST', url: '/v1/images', headers: auth, payload: { code, name: code, ownerProject: 'bench' } })
    if (res.statusCode !== 201) throw new Error(`image: ${res.body}`)
    const image = await app.db.selectFrom('images').select('id').where('code', '=', code).executeTakeFirstOrThrow()
    await app.db
      .insertInto('imageVersions')
      .values({
        imageId: image.id,
        major: 1,
        minor: 0,
        patch: 0,
        releaseType: null,
        status: 'testing',
        statusReason: null,
        checkClass: null,
        registry: 'registry.example.com',
        repository: `ci/${code}`,
        tag: '1.0',
        credentialId: null,
        dockerfile: null,
        releaseNotes: null,
        digest: `sha256:${randomBytes(32).toString('hex')}`,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        platforms: JSON.stringify([{ os: 'linux', architecture: 'amd64' }]),
        size: 1000,
        checkedAt: new Date(),
        submittedBy: 'bench',
        releasedBy: null,
        releasedAt: null,
        cancelledBy: null,
        cancelledAt: null,
        withdrawnBy: null,
        withdrawnAt: null,
        withdrawReason: null
      })
      .execute()
    versions.push({ code, version: '1.0.0' })
  }

  const server = app
  const release = async ({ code, version }: { code: string; version: string }): Promise<number> => {
    const delivered = new Promise<number>((resolve) => arrived.set(`${code}@${version}`, resolve))
    const sent = performance.now()
    const res = await server.inject({ method: 'POST', url: `/v1/images/${code}/versions/${version}/release`, headers: auth })
    if (res.statusCode !== 200) throw new Error(`release ${code} ${version}: ${res.statusCode} ${res.body}`)
    return (await delivered) - sent
  }

  const order = versions
  const sequential: number[] = []
  for (const v of order.slice(0, RELEASES)) sequential.push(await release(v))

  const burst: number[] = []
  const queue = order.slice(RELEASES, 2 * RELEASES)
  await Promise.all(
    Array.from({ length: BURST_CONCURRENCY }, async () => {
      for (let v = queue.shift(); v; v = queue.shift()) burst.push(await release(v))
    })
  )

  console.log(`Release → receiver (in-process service, PostgreSQL ${new URL(SERVER).host}, receiver on loopback)`)
  console.log(summary('one at a time', sequential))
  console.log(summary(`burst (${BURST_CONCURRENCY} in flight)`, burst))
  if (unverified > 0) {
    console.log(`${unverified} messages failed signature verification`)
    process.exitCode = 1
  }
} finally {
  await app?.close()
  receiver.close()
  await admin(`drop database if exists ${database} with (force)`)
}
