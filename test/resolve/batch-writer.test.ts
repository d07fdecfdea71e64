import t from 'tap'
import pino from 'pino'
import { Writable } from 'node:stream'
import { BatchWriter } from '../../src/resolve/batch-writer.js'

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

t.test('writes in batches of batchSize', async (t) => {
  const { log } = capture()
  const batches: number[][] = []
  const writer = new BatchWriter<number>({ name: 'test', log, batchSize: 3, flushIntervalMs: 60_000, write: async (rows) => void batches.push(rows) })
  for (let i = 1; i <= 7; i++) writer.push(i)
  await writer.flush()
  t.same(batches, [[1, 2, 3], [4, 5, 6], [7]])
  await writer.close()
})

t.test('bounded: drops and counts when full, with one warning', async (t) => {
  const { log, lines } = capture()
  const writer = new BatchWriter<number>({ name: 'test log', log, batchSize: 100, maxBuffered: 3, flushIntervalMs: 60_000, write: async () => {} })
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
      if (fail) throw new Error('database down')
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

t.test('close reports what could not be written', async (t) => {
  const { log, lines } = capture()
  const writer = new BatchWriter<number>({ name: 'test log', log, flushIntervalMs: 60_000, write: async () => Promise.reject(new Error('down')) })
  writer.push(1)
  await writer.close()
  t.match(lines.at(-1), { msg: 'test log: rows not written at shutdown', lost: 1 })
})
