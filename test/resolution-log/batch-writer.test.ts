import t from 'tap'
import pino from 'pino'
import { Writable } from 'node:stream'
import { BatchWriter } from '../../src/resolution-log/batch-writer.js'

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

t.test('coalescing: a failed batch goes back in front and folds into what arrived meanwhile', async (t) => {
  const { log } = capture()
  let fail = true
  const written: Tally[] = []
  const writer = new BatchWriter<Tally>({
    name: 'test',
    log,
    batchSize: 10,
    maxBuffered: 3,
    flushIntervalMs: 60_000,
    coalesce,
    write: async (rows) => {
      if (fail) throw unreachable()
      written.push(...rows.map((r) => ({ ...r })))
    }
  })
  writer.push(tally('a'))
  writer.push(tally('b'))
  writer.push(tally('b'))
  const failing = writer.flush()
  // Arrives while the failing write is in flight: one known key, two new ones.
  writer.push(tally('b'))
  writer.push(tally('c'))
  writer.push(tally('d'))
  await failing
  t.equal(writer.dropped, 1, 'room for three keys: b folds, c and d arrived first, so failed a is the one lost')
  fail = false
  await writer.flush()
  t.same(written, [tally('b', 3), tally('c', 1), tally('d', 1)])
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
