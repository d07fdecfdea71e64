// The outbox's ids follow commit order: a transaction that records an event after another one did,
// but commits first, cannot hold a smaller id. Readers that page by id (the catalog feed, webhook
// dispatch) can then store the last id they saw and never miss an event that commits late.
import t from 'tap'
import { ChangeBus } from '../../src/changes/change-bus.js'
import { commitChanges } from '../../src/changes/commit-changes.js'
import { queueDatabase, silent } from '../checks/queue-fixtures.js'

const actor = { name: 'test', tokenId: null, projects: null }

t.test('an event recorded later cannot commit before an earlier, still open one', async (t) => {
  const db = await queueDatabase(t)
  const image = await db
    .insertInto('images')
    .values({ code: 'order-1', name: 'Order', ownerProject: 'p1', debugProject: 'p1', createdBy: 'test' })
    .returning(['id', 'code'])
    .executeTakeFirstOrThrow()
  const bus = new ChangeBus(silent)
  const committed: string[] = []
  let releaseFirst!: () => void
  const firstMayCommit = new Promise<void>((resolve) => (releaseFirst = resolve))
  let firstRecorded!: () => void
  const firstHasRecorded = new Promise<void>((resolve) => (firstRecorded = resolve))

  const first = commitChanges(db, bus, async (_trx, record) => {
    const change = await record({ image, action: 'image.updated', actor, changesResolutions: false })
    firstRecorded()
    await firstMayCommit
    return change.id
  }).then((id) => (committed.push('first'), id))
  await firstHasRecorded
  const second = commitChanges(db, bus, async (_trx, record) => {
    const change = await record({ image, action: 'image.updated', actor, changesResolutions: false })
    return change.id
  }).then((id) => (committed.push('second'), id))

  // The second transaction is held at its first event while the first one is open.
  await new Promise((resolve) => setTimeout(resolve, 300))
  t.same(committed, [], 'nothing committed while the first transaction is open')
  releaseFirst()
  const [firstId, secondId] = await Promise.all([first, second])
  t.same(committed, ['first', 'second'], 'commit order')
  t.ok(firstId < secondId, `ids follow it (${firstId} < ${secondId})`)
})
