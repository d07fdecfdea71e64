// Which days of the log should exist and which may go: the pure rules.
import t from 'tap'
import fc from 'fast-check'
import {
  DAY_MS,
  PARTITIONS_AHEAD_DAYS,
  dayPartition,
  partitionDay,
  partitionsFor,
  partitionsToCreate,
  partitionsToDrop
} from '../../src/resolution-log/log-partitions.js'

const at = (iso: string) => new Date(iso)

t.test('a row belongs to the partition of its UTC day', async (t) => {
  t.same(dayPartition('resolutions', at('2026-12-02T23:59:59.999Z')), {
    table: 'resolutions',
    name: 'resolutions_p20261202',
    from: at('2026-12-02T00:00:00.000Z'),
    to: at('2026-12-03T00:00:00.000Z')
  })
  t.equal(dayPartition('pull_secret_grants', at('2026-12-03T00:00:00.000Z')).name, 'pull_secret_grants_p20261203')
  t.equal(dayPartition('resolutions', at('2026-12-02T01:00:00+02:00')).name, 'resolutions_p20261201', 'UTC, not the offset given')
})

t.test('every time falls inside its partition, and names read back as the same day', async () => {
  fc.assert(
    fc.property(fc.date({ min: at('2000-01-01T00:00:00Z'), max: at('2099-12-31T23:59:59Z'), noInvalidDate: true }), (time) => {
      const p = dayPartition('resolutions', time)
      return (
        p.from <= time &&
        time < p.to &&
        p.to.getTime() - p.from.getTime() === DAY_MS &&
        partitionDay('resolutions', p.name)?.name === p.name
      )
    })
  )
})

t.test('names that are not a day of this table are not ours', async (t) => {
  for (const name of [
    'resolutions_p2026120',
    'resolutions_p20261302',
    'resolutions_p20260230',
    'pull_secret_grants_p20261202',
    'resolutions_default',
    'resolutions_p20261202x'
  ])
    t.equal(partitionDay('resolutions', name), undefined, name)
})

t.test('today and the next week are created, those that exist are not', async (t) => {
  const now = at('2026-12-02T18:00:00Z')
  const wanted = partitionsToCreate('resolutions', new Set(), now).map((p) => p.name)
  t.equal(wanted.length, PARTITIONS_AHEAD_DAYS + 1)
  t.equal(wanted[0], 'resolutions_p20261202')
  t.equal(wanted.at(-1), 'resolutions_p20261209')
  t.same(
    partitionsToCreate('resolutions', new Set(wanted.slice(0, -1)), now).map((p) => p.name),
    ['resolutions_p20261209']
  )
})

t.test('a day is dropped once all of it is older than the retention, oldest first; other names are left alone', async (t) => {
  const existing = [
    'resolutions_p20261103',
    'resolutions_p20261101',
    'resolutions_p20261102',
    'resolutions_legacy',
    'resolutions_p20261202'
  ]
  // 30 days back from 2026-12-02T12:00 is 2026-11-02T12:00: the 1st has ended, the 2nd has not.
  t.same(
    partitionsToDrop('resolutions', existing, at('2026-12-02T12:00:00Z'), 30).map((p) => p.name),
    ['resolutions_p20261101']
  )
  t.same(
    partitionsToDrop('resolutions', existing, at('2026-12-03T00:00:00Z'), 30).map((p) => p.name),
    ['resolutions_p20261101', 'resolutions_p20261102'],
    'at the end of the day exactly'
  )
})

t.test('the partitions a batch needs are its distinct days', async (t) => {
  const needed = partitionsFor('pull_secret_grants', [at('2026-12-02T01:00:00Z'), at('2026-12-02T23:00:00Z'), at('2027-01-01T00:00:00Z')])
  t.same(
    needed.map((p) => p.name),
    ['pull_secret_grants_p20261202', 'pull_secret_grants_p20270101']
  )
})
