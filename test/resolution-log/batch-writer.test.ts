import t from 'tap'
import type { FastifyInstance } from 'fastify'
import pino from 'pino'
import { Writable } from 'node:stream'
import { BatchWriter } from '../../src/resolution-log/batch-writer.js'
import type { GrantRecord, ResolutionRecord } from '../../src/resolution-log/log-inserts.js'
import { copyLogWriter } from '../../src/resolution-log/copy-log-writer.js'
import { insertLogWriter, type LogWriter } from '../../src/resolution-log/log-writer.js'
import { isDatabaseUnavailable } from '../../src/db/unavailable.js'
import { build } from '../helpers/app.js'
import { insertImage } from '../resolve/fixtures.js'

function capture() {
  const lines: Array<Record<string, unknown>> = []
  const stream = new Writable({
    write(chunk: Buffer, _e, done) {
      lines.push(JSON.parse(chunk.toString()))
      done()
    }
  })
  return { log: pino({ level: 'info' }, stream), lines }
}

// What the pg driver throws when the server cannot be reached.
const unreachable = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' })

t.test('writes in batches of batchSize', async (t) => {
  const { log } = capture()
  const batches: number[][] = []
  const writer = new BatchWriter<number>({
    name: 'test',
    log,
    batchSize: 3,
    flushIntervalMs: 60_000,
    write: async (rows) => void batches.push(rows)
  })
  for (let i = 1; i <= 7; i++) writer.push(i)
  await writer.flush()
  t.same(batches, [[1, 2, 3], [4, 5, 6], [7]])
  await writer.close()
})

t.test('a flush writes the rows due when it began; rows arriving meanwhile wait for the next, unless they fill a batch', async (t) => {
  const { log } = capture()
  const batches: number[][] = []
  let release = () => {}
  const writer = new BatchWriter<number>({
    name: 'test',
    log,
    batchSize: 3,
    flushIntervalMs: 60_000,
    write: async (rows) => {
      batches.push(rows)
      if (batches.length === 1) await new Promise<void>((resolve) => (release = resolve))
    }
  })
  writer.push(1)
  const flushed = writer.flush()
  writer.push(2)
  writer.push(3)
  release()
  await flushed
  // Under steady load this is what keeps the log to one write per interval, not one per few rows.
  t.same(batches, [[1]], 'the rows that arrived during the write were not due')
  t.equal(writer.buffered, 2)

  batches.length = 0
  const second = writer.flush()
  for (let i = 4; i <= 8; i++) writer.push(i)
  release()
  await second
  t.same(
    batches,
    [
      [2, 3],
      [4, 5, 6]
    ],
    'a batch that filled up during the flush is written by it'
  )
  t.equal(writer.buffered, 2)
  await writer.close()
})

t.test('close writes everything, including rows that arrive while it writes', async (t) => {
  const { log, lines } = capture()
  const written: number[] = []
  let writer: BatchWriter<number> | undefined = undefined
  writer = new BatchWriter<number>({
    name: 'test log',
    log,
    flushIntervalMs: 60_000,
    write: async (rows) => {
      written.push(...rows)
      if (written.length === 1) writer?.push(2)
    }
  })
  writer.push(1)
  await writer.close()
  t.same(written, [1, 2])
  t.equal(writer.buffered, 0)
  t.notOk(lines.some((l) => l.msg === 'test log: rows not written at shutdown'))
})

t.test('bounded: drops and counts when full, with one warning', async (t) => {
  const { log, lines } = capture()
  const writer = new BatchWriter<number>({
    name: 'test log',
    log,
    batchSize: 100,
    maxBuffered: 3,
    flushIntervalMs: 60_000,
    write: async () => {}
  })
  for (let i = 0; i < 5; i++) writer.push(i)
  t.equal(writer.buffered, 3)
  t.equal(writer.dropped, 2)
  t.equal(lines.filter((l) => l.msg === 'test log: buffer full, rows dropped').length, 1)
  await writer.close()
})

t.test('a failed write keeps its rows for the next flush, in order', async (t) => {
  const { log, lines } = capture()
  let fail = true
  const written: number[] = []
  const writer = new BatchWriter<number>({
    name: 'test log',
    log,
    batchSize: 2,
    flushIntervalMs: 60_000,
    write: async (rows) => {
      if (fail) throw unreachable()
      written.push(...rows)
    }
  })
  writer.push(1)
  writer.push(2)
  writer.push(3)
  await writer.flush()
  t.equal(writer.buffered, 3)
  t.ok(lines.some((l) => l.msg === 'test log: write failed; rows kept for the next flush'))
  fail = false
  await writer.flush()
  t.same(written, [1, 2, 3])
  await writer.close()
})

t.test('while the database is unreachable, full batches are retried by the timer, not by every new row', async (t) => {
  const { log } = capture()
  let attempts = 0
  let fail = true
  const writer = new BatchWriter<number>({
    name: 'test log',
    log,
    batchSize: 2,
    flushIntervalMs: 60_000,
    write: async () => {
      attempts++
      if (fail) throw unreachable()
    }
  })
  writer.push(1)
  writer.push(2) // a full batch: written at once, and the database is away
  await writer.flush()
  const afterFirst = attempts
  for (let i = 3; i <= 50; i++) writer.push(i)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(attempts, afterFirst, 'no write attempt per new row')
  t.equal(writer.buffered, 50, 'every row is kept')
  fail = false
  await writer.flush() // the timer's flush
  t.equal(writer.buffered, 0)
  writer.push(51)
  writer.push(52)
  await new Promise((resolve) => setImmediate(resolve))
  t.equal(writer.buffered, 0, 'once the database is back, a full batch is written at once again')
  await writer.close()
})

t.test('close reports what could not be written', async (t) => {
  const { log, lines } = capture()
  const writer = new BatchWriter<number>({
    name: 'test log',
    log,
    flushIntervalMs: 60_000,
    write: async () => Promise.reject(unreachable())
  })
  writer.push(1)
  await writer.close()
  t.match(lines.at(-1), { msg: 'test log: rows not written at shutdown', lost: 1 })
})

interface Tally {
  key: string
  count: number
}
const tally = (key: string, count = 1): Tally => ({ key, count })
const coalesce = { key: (r: Tally) => r.key, merge: (into: Tally, r: Tally) => void (into.count += r.count) }

t.test('coalescing: rows with one key fold into one, in order of first arrival', async (t) => {
  const { log } = capture()
  const batches: Tally[][] = []
  const writer = new BatchWriter<Tally>({
    name: 'test',
    log,
    batchSize: 10,
    flushIntervalMs: 60_000,
    coalesce,
    write: async (rows) => void batches.push(rows.map((r) => ({ ...r })))
  })
  for (const key of ['a', 'b', 'a', 'a']) writer.push(tally(key))
  t.equal(writer.buffered, 2, 'two keys held')
  await writer.flush()
  writer.push(tally('c'))
  await writer.flush()
  t.same(batches, [[tally('a', 3), tally('b', 1)], [tally('c', 1)]])
  await writer.close()
})

t.test('coalescing: the bound counts keys; a known key still folds when full', async (t) => {
  const { log } = capture()
  const writer = new BatchWriter<Tally>({
    name: 'test',
    log,
    batchSize: 100,
    maxBuffered: 2,
    flushIntervalMs: 60_000,
    coalesce,
    write: async () => {}
  })
  writer.push(tally('a'))
  writer.push(tally('b'))
  writer.push(tally('c'))
  writer.push(tally('a'))
  t.equal(writer.buffered, 2)
  t.equal(writer.dropped, 1, 'only the new key is dropped')
  await writer.close()
})

t.test(
  'a failed batch is set aside as it is and written first, under the same id; rows arriving meanwhile fold among themselves',
  async (t) => {
    const { log } = capture()
    let fail = true
    const attempts: Array<{ id: string; rows: Tally[] }> = []
    const writer = new BatchWriter<Tally>({
      name: 'test',
      log,
      batchSize: 10,
      maxBuffered: 3,
      flushIntervalMs: 60_000,
      coalesce,
      write: async (rows, id) => {
        attempts.push({ id, rows: rows.map((r) => ({ ...r })) })
        if (fail) throw unreachable()
      }
    })
    writer.push(tally('a'))
    writer.push(tally('b'))
    writer.push(tally('b'))
    const failing = writer.flush()
    // Arrive while the failing write is in flight: its two rows count toward the bound of three.
    writer.push(tally('b'))
    writer.push(tally('c'))
    writer.push(tally('b'))
    await failing
    t.equal(writer.dropped, 1, 'c found no room: the batch in flight holds two of the three')
    t.equal(writer.buffered, 3, 'the batch set aside and the new b')
    fail = false
    await writer.flush()
    t.equal(attempts.length, 3)
    t.equal(attempts[1]?.id, attempts[0]?.id, 'the retry carries the id of the first attempt')
    t.same(attempts[1]?.rows, [tally('a', 1), tally('b', 2)], 'the same rows: nothing folded into them')
    t.same(attempts[2]?.rows, [tally('b', 2)], 'the new rows folded among themselves, in a batch of their own')
    t.not(attempts[2]?.id, attempts[0]?.id)
    t.equal(writer.buffered, 0)
    await writer.close()
  }
)

t.test('a batch set aside counts toward the bound until it is written', async (t) => {
  const { log } = capture()
  let fail = true
  const written: number[] = []
  const writer = new BatchWriter<number>({
    name: 'test',
    log,
    batchSize: 2,
    maxBuffered: 3,
    flushIntervalMs: 60_000,
    write: async (rows) => {
      if (fail) throw unreachable()
      written.push(...rows)
    }
  })
  writer.push(1)
  writer.push(2)
  await writer.flush() // the full batch was written at once, and failed: set aside
  writer.push(3)
  writer.push(4)
  t.equal(writer.buffered, 3)
  t.equal(writer.dropped, 1, 'room for one more beside the two set aside')
  fail = false
  await writer.flush()
  writer.push(5)
  writer.push(6)
  await writer.flush()
  t.same(written, [1, 2, 3, 5, 6], 'once written, the batch no longer takes room')
  t.equal(writer.dropped, 1)
  await writer.close()
})

t.test('a batch the database refuses (not an outage) is dropped and reported, so later rows still get written', async (t) => {
  const { log, lines } = capture()
  const written: number[] = []
  const writer = new BatchWriter<number>({
    name: 'test log',
    log,
    batchSize: 2,
    flushIntervalMs: 60_000,
    write: async (rows) => {
      if (rows.includes(13)) throw Object.assign(new Error('invalid byte sequence for encoding "UTF8": 0x00'), { code: '22021' })
      written.push(...rows)
    }
  })
  for (const row of [12, 13, 14, 15]) writer.push(row)
  await writer.flush()
  t.same(written, [14, 15], 'the next batch is written in the same flush')
  t.equal(writer.buffered, 0, 'nothing kept to fail again')
  t.equal(writer.dropped, 2)
  t.match(
    lines.find((l) => l.level === 50),
    { msg: 'test log: the database refused a batch; its rows are dropped', dropped: 2 }
  )
  await writer.close()
})

// What pg throws when the connection drops while it waits for the answer: the statement, COMMIT
// included, may well have been applied.
const cutAfterCommit = () => new Error('Connection terminated unexpectedly')

const writers: Array<[string, (app: FastifyInstance) => LogWriter]> = [
  ['insert', (app) => insertLogWriter(app.db)],
  ['COPY', (app) => copyLogWriter(app.database.pool!)]
]

for (const [name, writerOf] of writers)
  t.test(`${name}: a write applied by the database whose answer was lost is retried as the same batch and recorded once`, async (t) => {
    const { app } = await build(t)
    const logWriter = writerOf(app)
    t.ok(isDatabaseUnavailable(cutAfterCommit()), 'the writer takes it for an outage')
    const image = await insertImage(app.db, 'tools', { visibilityPublic: true })
    // Today: a day the log has a partition for.
    const at = new Date()

    await t.test('resolutions', async (t) => {
      const { log } = capture()
      const attempts: Array<{ id: string; rows: ResolutionRecord[] }> = []
      const writer = new BatchWriter<ResolutionRecord>({
        name: 'test',
        log,
        flushIntervalMs: 60_000,
        write: async (rows, id) => {
          attempts.push({ id, rows: [...rows] })
          await logWriter.resolutions(rows, id)
          if (attempts.length === 1) throw cutAfterCommit()
        }
      })
      const record = (build: string): ResolutionRecord => ({
        imageId: image.id,
        spec: '1.latest',
        version: '1.0.0',
        status: 'released',
        digest: 'sha256:x',
        project: 'payments',
        pipeline: 'main',
        build,
        tokenId: null,
        count: 1,
        firstResolvedAt: at,
        resolvedAt: at
      })
      writer.push(record('r1'))
      writer.push(record('r2'))
      await writer.flush()
      t.equal(writer.buffered, 2, 'the writer could not know the batch was written')
      await writer.flush()
      t.equal(attempts.length, 2)
      t.equal(attempts[1]?.id, attempts[0]?.id, 'same id')
      t.same(attempts[1]?.rows, attempts[0]?.rows, 'same rows')
      const rows = await app.db.selectFrom('resolutions').select('build').where('imageId', '=', image.id).orderBy('id').execute()
      t.same(rows, [{ build: 'r1' }, { build: 'r2' }], 'recorded once')
      t.equal(writer.buffered, 0)
      await writer.close()
    })

    await t.test('pull-secret grants', async (t) => {
      const { log } = capture()
      const attempts: string[] = []
      const writer = new BatchWriter<GrantRecord>({
        name: 'test',
        log,
        flushIntervalMs: 60_000,
        write: async (rows, id) => {
          attempts.push(id)
          await logWriter.grants(rows, id)
          if (attempts.length === 1) throw cutAfterCommit()
        }
      })
      writer.push({
        credentialId: image.id,
        imageId: image.id,
        version: '1.0.0',
        project: 'payments',
        pipeline: null,
        build: 'g1',
        tokenId: image.id,
        tokenName: 'engine',
        grantedAt: at
      })
      await writer.flush()
      await writer.flush()
      t.equal(attempts.length, 2)
      t.equal(attempts[1], attempts[0], 'same id')
      const rows = await app.db.selectFrom('pullSecretGrants').select('build').where('imageId', '=', image.id).execute()
      t.same(rows, [{ build: 'g1' }], 'recorded once')
      await writer.close()
    })
  })
