import type { Transaction } from 'kysely'
import type { DB } from '../db/schema.js'

/**
 * The pullability check queue as the transitions need it. Declared here and implemented by
 * checks/ (wired in app.ts), so versions never imports the feature that checks them.
 */
export interface CheckQueue {
  /** Queues a check of the version, in the transaction that moves it to checking. */
  enqueue(trx: Transaction<DB>, versionId: string): Promise<void>
  /** Forgets the version's check, in the transaction that takes it out of checking. */
  drop(trx: Transaction<DB>, versionId: string): Promise<void>
}
