import type { Transaction } from 'kysely'
import type { Database } from '../db/database.js'
import { notify } from '../db/notifications.plugin.js'
import type { DB } from '../db/schema.js'
import { insertEvent, type ImageEvent } from '../events/events.repository.js'
import { CHANGES_CHANNEL, type Change } from './change.js'
import type { ChangeNotifier } from './change-bus.js'

export interface RecordedEvent extends ImageEvent {
  /** Whether what resolve answers for the image may differ; image events always may. */
  changesResolutions: boolean
}

/** Writes an event in the transaction of the change it records. */
export type RecordChange = (event: RecordedEvent) => Promise<Change>

/**
 * The one way a state change commits: `work` changes rows and records its events with `record`
 * in one transaction. Each event is NOTIFYed in that transaction, so other replicas hear of it
 * exactly when it commits; after the commit, this replica's subscribers are told.
 */
export async function commitChanges<T>(
  db: Database,
  changes: ChangeNotifier,
  work: (trx: Transaction<DB>, record: RecordChange) => Promise<T>
): Promise<T> {
  const recorded: Change[] = []
  const result = await db.transaction().execute((trx) => work(trx, (event) => recordChange(trx, event, recorded)))
  await changes.publish(recorded)
  return result
}

async function recordChange(trx: Transaction<DB>, event: RecordedEvent, into: Change[]): Promise<Change> {
  const id = await insertEvent(trx, event)
  const change: Change = {
    id,
    type: event.action,
    imageId: event.image.id,
    version: event.version?.number ?? null,
    changesResolutions: event.changesResolutions
  }
  await notify(trx, CHANGES_CHANNEL, JSON.stringify(change))
  into.push(change)
  return change
}
