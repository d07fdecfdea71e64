import t from 'tap'
import type { FastifyInstance } from 'fastify'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { build } from '../helpers/app.js'
import type { GrantRecord, ResolutionRecord } from '../../src/resolution-log/log-inserts.js'
import { copyLogWriter } from '../../src/resolution-log/copy-log-writer.js'
import { insertLogWriter, type LogWriter } from '../../src/resolution-log/log-writer.js'
import { maintainLog } from '../../src/resolution-log/retention.js'
import { insertImage } from '../resolve/fixtures.js'

const writers: Array<[string, (app: FastifyInstance) => LogWriter]> = [
  ["insert (the embedded database's path)", (app) => insertLogWriter(app.db)],
  ['COPY', (app) => copyLogWriter(app.database.pool!)]
]

for (const [name, writerOf] of writers)
  t.test(`${name}: a batch id makes writing the same batch again a no-op, in both logs`, async (t) => {
    const { app } = await build(t)
    const writer = writerOf(app)
    const image = await insertImage(app.db, 'tools', { visibilityPublic: true })
    const at = new Date()
    const resolution = (build: string): ResolutionRecord => ({
      imageId: image.id,
      spec: '1.latest',
      version: '1.0.0',
      status: 'released',
      digest: 'sha256:x',
      project: 'payments',
      pipeline: 'main',
      build,
      tokenId: null,
      count: 2,
      firstResolvedAt: at,
      resolvedAt: at
    })
    const grant = (build: string): GrantRecord => ({
      credentialId: image.id,
      imageId: image.id,
      version: '1.0.0',
      project: 'payments',
      pipeline: null,
      build,
      tokenId: image.id,
      tokenName: 'engine',
      grantedAt: at
    })
    const builds = async (table: 'resolutions' | 'pullSecretGrants') =>
      (await app.db.selectFrom(table).select('build').orderBy('id').execute()).map((r) => r.build)

    await t.test('resolutions', async (t) => {
      const id = randomUUID()
      await writer.resolutions([resolution('a'), resolution('b')], id)
      await writer.resolutions([resolution('a'), resolution('b')], id)
      t.same(await builds('resolutions'), ['a', 'b'])
      await writer.resolutions([resolution('a')], randomUUID())
      t.same(await builds('resolutions'), ['a', 'b', 'a'], 'another batch with equal rows is written')
    })

    await t.test('pull-secret grants', async (t) => {
      const id = randomUUID()
      await writer.grants([grant('a')], id)
      await writer.grants([grant('a')], id)
      t.same(await builds('pullSecretGrants'), ['a'])
      await writer.grants([grant('a')], randomUUID())
      t.same(await builds('pullSecretGrants'), ['a', 'a'])
    })

    await t.test('two writes of one batch at once: one records it, the other waits and adds nothing', async (t) => {
      const id = randomUUID()
      await Promise.all([writer.grants([grant('race')], id), writer.grants([grant('race')], id)])
      const rows = await app.db.selectFrom('pullSecretGrants').select('id').where('build', '=', 'race').execute()
      t.equal(rows.length, 1)
    })

    await t.test('rows of an image deleted since they were buffered are left out', async (t) => {
      const gone = await insertImage(app.db, 'gone', { visibilityPublic: true })
      await app.db.deleteFrom('images').where('id', '=', gone.id).execute()
      await writer.resolutions([{ ...resolution('c'), imageId: gone.id }, resolution('c')], randomUUID())
      const rows = await app.db.selectFrom('resolutions').select(['imageId', 'build']).where('build', '=', 'c').execute()
      t.same(rows, [{ imageId: image.id, build: 'c' }])
      await writer.resolutions([{ ...resolution('d'), imageId: gone.id }], randomUUID())
      t.same(
        await app.db.selectFrom('resolutions').select('build').where('build', '=', 'd').execute(),
        [],
        'a batch of only those adds nothing'
      )
    })

    await t.test('the batches written are recorded with their log', async (t) => {
      const logs = await app.db.selectFrom('logBatches').select('log').execute()
      t.same(logs.map((l) => l.log).sort(), [
        'pull_secret_grants',
        'pull_secret_grants',
        'pull_secret_grants',
        'resolutions',
        'resolutions',
        'resolutions',
        'resolutions'
      ])
    })

    await t.test('retention forgets batch ids after a day, whatever the log retention', async (t) => {
      await sql`update log_batches set written_at = now() - interval '25 hours' where log = 'resolutions'`.execute(app.db)
      const done = await maintainLog(app)
      t.equal(done.batches, 4)
      t.same(done.dropped, [], 'no day of the log is past its retention')
      t.equal((await app.db.selectFrom('logBatches').select('id').execute()).length, 3)
    })
  })
