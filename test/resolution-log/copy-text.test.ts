import t from 'tap'
import fc from 'fast-check'
import assert from 'node:assert/strict'
import { randomUUID } from 'node:crypto'
import { copyChunk, copyText, copyTime, grantLine, resolutionLine } from '../../src/resolution-log/copy-text.js'
import { copyLogWriter } from '../../src/resolution-log/copy-log-writer.js'
import type { GrantRecord, ResolutionRecord } from '../../src/resolution-log/log-inserts.js'
import { build } from '../helpers/app.js'
import { insertImage } from '../resolve/fixtures.js'

t.test('copyText escapes what COPY text reads as structure, and only that', async (t) => {
  t.equal(copyText('payments'), 'payments')
  t.equal(copyText(null), '\\N')
  t.equal(copyText(''), '', 'empty is not null')
  t.equal(copyText('\\N'), '\\\\N', 'a value that looks like null stays a value')
  t.equal(copyText('a\\b\tc\nd\re'), 'a\\\\b\\tc\\nd\\re')
  t.equal(copyText('\\.'), '\\\\.', 'the end-of-data marker cannot be formed')
  t.equal(copyText('é 😀 "q" \'s\' ,;|\b\f\v'), 'é 😀 "q" \'s\' ,;|\b\f\v', 'other characters go as they are')
})

t.test('copyTime writes what toISOString does, for any time, in any order', async (t) => {
  // Near times (the usual batch) and far ones, including before 1970 and past 9999.
  const near = fc.integer({ min: -3000, max: 3000 }).map((offset) => new Date(Date.UTC(2026, 11, 2, 4, 0, 0) + offset))
  const any = fc.date({ min: new Date(-8_640_000_000_000_000), max: new Date(8_640_000_000_000_000), noInvalidDate: true })
  fc.assert(
    fc.property(fc.array(fc.oneof(near, any), { maxLength: 20 }), (times) => {
      for (const time of times) assert.equal(copyTime(time), time.toISOString())
    })
  )
  t.pass('equal to toISOString')
  t.throws(() => copyTime(new Date(Number.NaN)), RangeError, 'an invalid date is refused, as toISOString refuses it')
})

const IMAGE = '0a4c5b1e-0000-4000-8000-000000000001'
const TOKEN = '0a4c5b1e-0000-4000-8000-000000000002'
const at = new Date('2026-12-01T10:00:00.123Z')

t.test('lines: columns in order, tab separated, one newline at the end', async (t) => {
  const resolution: ResolutionRecord = {
    imageId: IMAGE,
    spec: '1.latest',
    version: '1.0.0',
    status: 'released',
    digest: 'sha256:aa',
    project: 'payments',
    pipeline: 'main\tline',
    build: null,
    tokenId: null,
    count: 3,
    firstResolvedAt: new Date('2026-12-01T09:00:00.000Z'),
    resolvedAt: at
  }
  t.equal(
    resolutionLine(resolution),
    `${IMAGE}\t1.latest\t1.0.0\treleased\tsha256:aa\tpayments\tmain\\tline\t\\N\t\\N\t3\t2026-12-01T09:00:00.000Z\t2026-12-01T10:00:00.123Z\n`
  )
  t.equal(
    resolutionLine({ ...resolution, tokenId: TOKEN, firstResolvedAt: new Date(at) }),
    `${IMAGE}\t1.latest\t1.0.0\treleased\tsha256:aa\tpayments\tmain\\tline\t\\N\t${TOKEN}\t3\t2026-12-01T10:00:00.123Z\t2026-12-01T10:00:00.123Z\n`
  )
  const grant: GrantRecord = {
    credentialId: TOKEN,
    imageId: IMAGE,
    version: '1.0.0',
    project: 'payments',
    pipeline: null,
    build: 'b\n1',
    tokenId: TOKEN,
    tokenName: 'engine\\x',
    grantedAt: at
  }
  t.equal(grantLine(grant), `${TOKEN}\t${IMAGE}\t1.0.0\tpayments\t\\N\tb\\n1\t${TOKEN}\tengine\\\\x\t2026-12-01T10:00:00.123Z\n`)
  t.equal(copyChunk([grant, grant, grant], 1, 3, grantLine), grantLine(grant) + grantLine(grant), 'a chunk is its lines')
})

// Characters COPY text treats specially, and things that look like its escapes, mixed with any
// other code point: PostgreSQL stores no NUL in text, so none is generated.
const awkwardUnit = fc.oneof(
  fc.constantFrom('\\', '\t', '\n', '\r', '\\N', '\\.', '\\t', 'N', '.', '\r\n', '\b', '\f', '\v', '\u2028', '😀', 'é', '"', ','),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }).filter((c) => c !== '\0')
)
const awkward = fc.string({ unit: awkwardUnit, maxLength: 12 })
const orNull = fc.option(awkward, { nil: null })

t.test('round trip through PostgreSQL: what COPY writes reads back as the same strings', async (t) => {
  const { app } = await build(t)
  const image = await insertImage(app.db, 'tools', { visibilityPublic: true })
  const writer = copyLogWriter(app.database.pool!)
  // Today: the days the database has partitions for.
  const now = new Date()
  const resolution = fc.record({
    spec: awkward,
    version: awkward,
    status: awkward,
    digest: awkward,
    project: awkward,
    pipeline: orNull,
    build: orNull
  })
  const grant = fc.record({ version: awkward, project: awkward, pipeline: orNull, build: orNull, tokenName: awkward })
  const lastId = async (table: 'resolutions' | 'pullSecretGrants') =>
    (
      await app.db
        .selectFrom(table)
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirstOrThrow()
    ).id ?? 0

  await fc.assert(
    fc.asyncProperty(
      fc.array(resolution, { minLength: 1, maxLength: 8 }),
      fc.array(grant, { minLength: 1, maxLength: 8 }),
      async (rs, gs) => {
        const [afterResolution, afterGrant] = [await lastId('resolutions'), await lastId('pullSecretGrants')]
        await writer.resolutions(
          rs.map((r) => ({ ...r, imageId: image.id, tokenId: null, count: 1, firstResolvedAt: now, resolvedAt: now })),
          randomUUID()
        )
        await writer.grants(
          gs.map((g) => ({ ...g, credentialId: TOKEN, imageId: image.id, tokenId: TOKEN, grantedAt: now })),
          randomUUID()
        )
        const readResolutions = await app.db
          .selectFrom('resolutions')
          .select(['spec', 'version', 'status', 'digest', 'project', 'pipeline', 'build'])
          .where('id', '>', afterResolution)
          .orderBy('id')
          .execute()
        const readGrants = await app.db
          .selectFrom('pullSecretGrants')
          .select(['version', 'project', 'pipeline', 'build', 'tokenName'])
          .where('id', '>', afterGrant)
          .orderBy('id')
          .execute()
        // Throws, so fast-check shrinks a failure to its smallest strings (its records may have no
        // prototype; the rows read have Object's).
        assert.deepStrictEqual(
          readResolutions,
          rs.map((r) => ({ ...r }))
        )
        assert.deepStrictEqual(
          readGrants,
          gs.map((g) => ({ ...g }))
        )
      }
    ),
    { numRuns: 60 }
  )
  t.pass('every generated batch read back as written')
})
