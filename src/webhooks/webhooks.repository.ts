import { sql, type Transaction, type Updateable } from 'kysely'
import type { DB, Db } from '../db/schema.js'
import type { NewWebhookSubscription, WebhookSubscriptionRow, WebhookSubscriptionsTable } from './webhooks.table.js'

export type SubscriptionUpdate = Updateable<WebhookSubscriptionsTable>

export async function insertSubscription(db: Db, values: NewWebhookSubscription): Promise<WebhookSubscriptionRow> {
  return db.insertInto('webhookSubscriptions').values(values).returningAll().executeTakeFirstOrThrow()
}

export async function findSubscription(db: Db, id: string): Promise<WebhookSubscriptionRow | undefined> {
  return db.selectFrom('webhookSubscriptions').selectAll().where('id', '=', id).executeTakeFirst()
}

export async function lockSubscription(trx: Transaction<DB>, id: string): Promise<WebhookSubscriptionRow | undefined> {
  return trx.selectFrom('webhookSubscriptions').selectAll().where('id', '=', id).forUpdate().executeTakeFirst()
}

export async function updateSubscription(db: Db, id: string, set: SubscriptionUpdate): Promise<WebhookSubscriptionRow> {
  return db
    .updateTable('webhookSubscriptions')
    .set({ ...set, updatedAt: new Date() })
    .where('id', '=', id)
    .returningAll()
    .executeTakeFirstOrThrow()
}

export async function deleteSubscription(db: Db, id: string): Promise<void> {
  await db.deleteFrom('webhookSubscriptions').where('id', '=', id).execute()
}

export interface SubscriptionFilter {
  /** Whether catalog-wide subscriptions (project null) are included. */
  catalogWide: boolean
  /** null: the subscriptions of every project; otherwise only those of these. */
  projects: readonly string[] | null
  project?: string | undefined
}

// created_at with its microseconds, as text: a Date would round it to milliseconds and a page
// boundary could skip subscriptions created within the same millisecond.
const createdKey = sql<string>`to_char(created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`

/** Oldest first, keyset-paged on (created_at, id); `createdKey` is the exact position for the cursor. */
export async function listSubscriptions(
  db: Db,
  filter: SubscriptionFilter,
  limit: number,
  after?: { createdKey: string; id: string }
): Promise<(WebhookSubscriptionRow & { createdKey: string })[]> {
  if (filter.projects?.length === 0) return []
  let query = db
    .selectFrom('webhookSubscriptions')
    .selectAll()
    .select(createdKey.as('createdKey'))
    .orderBy('createdAt')
    .orderBy('id')
    .limit(limit)
  if (!filter.catalogWide) query = query.where('project', 'is not', null)
  if (filter.projects !== null) query = query.where('project', 'in', filter.projects)
  if (filter.project !== undefined) query = query.where('project', '=', filter.project)
  if (after) {
    const at = sql<Date>`${after.createdKey}::timestamptz`
    query = query.where((eb) => eb.or([eb('createdAt', '>', at), eb.and([eb('createdAt', '=', at), eb('id', '>', after.id)])]))
  }
  return query.execute()
}

/** Subscriptions with a signing secret (current or previous slot) sealed with another key than `keyId`, by id. */
export async function listSubscriptionIdsWithSecretsNotUnderKey(db: Db, keyId: string, limit: number, afterId?: string): Promise<string[]> {
  let query = db
    .selectFrom('webhookSubscriptions')
    .select('id')
    .where((eb) => eb.or([eb('secretKeyId', '<>', keyId), eb('previousSecretKeyId', '<>', keyId)]))
    .orderBy('id')
    .limit(limit)
  if (afterId !== undefined) query = query.where('id', '>', afterId)
  return (await query.execute()).map((r) => r.id)
}

export type SealedSecretColumns = Pick<
  SubscriptionUpdate,
  'secretCiphertext' | 'secretKeyId' | 'previousSecretCiphertext' | 'previousSecretKeyId' | 'previousSecretExpiresAt'
>

/** Re-sealed secrets only: updated_at stays, since nothing a subscriber sees has changed. */
export async function replaceSealedSecrets(trx: Transaction<DB>, id: string, set: SealedSecretColumns): Promise<void> {
  await trx.updateTable('webhookSubscriptions').set(set).where('id', '=', id).execute()
}
