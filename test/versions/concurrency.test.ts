import t from 'tap'
import { build } from '../helpers/app.js'
import { action, createImage, publish, push, registryEnv, startTestRegistry, submit, versionsUrl, waitForCheck } from './fixtures.js'

t.test('concurrent submissions, also through two replicas on one database', async (t) => {
  const registry = await startTestRegistry(t)
  for (let i = 0; i < 50; i++) await push(registry, 'team/race', `t${i}`)
  const env = { ...registryEnv(registry), DATABASE_POOL_MAX: '20' }
  const one = await build(t, { env })
  const two = await build(t, { env, databaseUrl: one.databaseUrl })
  const at = { registry: registry.host, repository: 'team/race' }

  const race = async (code: string, payload: (i: number) => Record<string, unknown>) => {
    const responses = await Promise.all(Array.from({ length: 50 }, (_, i) => submit(i % 2 ? two : one, code, payload(i))))
    const winners = responses.filter((r) => r.statusCode === 202)
    const losers = responses.filter((r) => r.statusCode !== 202)
    return { winners, losers }
  }
  const numbers = async (code: string) => {
    const rows = await one.app.db
      .selectFrom('imageVersions')
      .innerJoin('images', 'images.id', 'imageVersions.imageId')
      .select(['major', 'minor', 'patch', 'status'])
      .where('images.code', '=', code)
      .execute()
    return rows.map((r) => `${r.major}.${r.minor}.${r.patch}`).sort()
  }

  t.test('50 first submissions: exactly one wins, the others are 409s naming it', async (t) => {
    await createImage(one, { code: 'race-first' })
    const { winners, losers } = await race('race-first', (i) => ({ ...at, tag: `t${i}` }))
    t.equal(winners.length, 1)
    t.equal(winners[0]?.json().version, '1.0.0')
    t.equal(losers.length, 49)
    for (const res of losers) {
      t.equal(res.statusCode, 409)
      t.match(res.json(), { code: 'VERSION_IN_PROGRESS', inProgressVersion: '1.0.0' })
    }
    t.same(await numbers('race-first'), ['1.0.0'], 'one row, no repeated number')
  })

  t.test('50 minor bumps after a release: one 1.1.0, no repeated number', async (t) => {
    await createImage(one, { code: 'race-bump' })
    await publish(one, 'race-bump', { ...at, tag: 't0' })
    const { winners, losers } = await race('race-bump', (i) => ({
      ...at,
      tag: `t${i + 1 === 50 ? 1 : i + 1}`,
      releaseType: i % 3 === 0 ? 'minor' : i % 3 === 1 ? 'patch' : 'major'
    }))
    t.equal(winners.length, 1)
    t.equal(losers.length, 49)
    t.ok(
      losers.every((r) => r.statusCode === 409 && r.json().code === 'VERSION_IN_PROGRESS'),
      'every loser is VERSION_IN_PROGRESS'
    )
    const all = await numbers('race-bump')
    t.equal(all.length, 2)
    t.equal(new Set(all).size, 2, 'no number repeats')
  })

  t.test('races after a cancel reuse the cancelled number exactly once', async (t) => {
    await createImage(one, { code: 'race-reuse' })
    await publish(one, 'race-reuse', { ...at, tag: 't0' })
    t.equal((await submit(one, 'race-reuse', { ...at, tag: 't1', releaseType: 'minor' })).statusCode, 202)
    t.equal((await action(one, 'race-reuse', '1.1.0', 'cancel')).statusCode, 200)
    const { winners } = await race('race-reuse', (i) => ({ ...at, tag: `t${(i % 40) + 2}`, releaseType: 'minor' }))
    t.equal(winners.length, 1)
    t.equal(winners[0]?.json().version, '1.1.0')
    const rows = await one.app.db
      .selectFrom('imageVersions')
      .innerJoin('images', 'images.id', 'imageVersions.imageId')
      .select(['status'])
      .where('images.code', '=', 'race-reuse')
      .where('major', '=', 1)
      .where('minor', '=', 1)
      .execute()
    t.equal(rows.length, 2, 'the cancelled 1.1.0 and the new one')
    t.equal(rows.filter((r) => r.status === 'cancelled').length, 1)
    const got = await one.call({ method: 'GET', url: `${versionsUrl('race-reuse')}/1.1.0` })
    t.equal(got.json().status === 'cancelled', false, 'the number names the non-cancelled version')
  })

  t.test('concurrent release and cancel of one version: exactly one wins', async (t) => {
    await createImage(one, { code: 'race-actions' })
    for (let round = 0; round < 5; round++) {
      const res = await submit(one, 'race-actions', { ...at, tag: `t${round}`, ...(round > 0 ? { releaseType: 'minor' } : {}) })
      t.equal(res.statusCode, 202)
      const version: string = res.json().version
      t.equal((await waitForCheck(one, 'race-actions', version)).status, 'testing')
      const before = await one.app.db
        .selectFrom('imageEvents')
        .select((eb) => eb.fn.max('id').as('id'))
        .executeTakeFirstOrThrow()
      const [release, cancel] = await Promise.all([
        action(one, 'race-actions', version, 'release'),
        action(two, 'race-actions', version, 'cancel')
      ])
      const codes = [release.statusCode, cancel.statusCode].sort()
      t.same(codes, [200, 409], `round ${round}: one 200 and one 409`)
      const loser = release.statusCode === 409 ? release : cancel
      const winnerStatus = release.statusCode === 200 ? 'released' : 'cancelled'
      t.match(loser.json(), {
        code: 'VERSION_STATUS_CONFLICT',
        currentStatus: winnerStatus,
        allowedActions: winnerStatus === 'released' ? ['withdraw'] : []
      })
      const events = await one.app.db
        .selectFrom('imageEvents')
        .select('action')
        .where('version', '=', version)
        .where('imageEvents.id', '>', Number(before.id))
        .where('action', 'in', ['version.released', 'version.cancelled'])
        .innerJoin('images', 'images.id', 'imageEvents.imageId')
        .where('images.code', '=', 'race-actions')
        .execute()
      t.equal(events.length, 1, 'one transition, one event')
      if (winnerStatus === 'released') {
        t.equal((await action(one, 'race-actions', version, 'withdraw', { reason: 'round over' })).statusCode, 200)
      }
    }
  })
})
