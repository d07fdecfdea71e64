import type { Kysely, Transaction } from 'kysely'
import type { ApiTokensTable } from '../tokens/tokens.table.js'
import type { RegistryCredentialsTable } from '../credentials/credentials.table.js'
import type { ImagesTable } from '../images/images.table.js'
import type { ImageEventsTable } from '../events/events.table.js'
import type { ImageVersionsTable } from '../versions/versions.table.js'
import type { CheckJobsTable } from '../checks/check-jobs.table.js'
import type { IdempotencyKeysTable } from '../idempotency/idempotency.table.js'
import type { ResolutionsTable } from '../resolution-log/resolutions.table.js'
import type { PullSecretGrantsTable } from '../resolution-log/pull-secret-grants.table.js'
import type { LogBatchesTable } from '../resolution-log/log-batches.table.js'
import type { LogRollupsTable, ResolutionUsageDaysTable } from '../resolution-log/usage-days.table.js'
import type {
  WebhookDeliveriesTable,
  WebhookDeliveryAttemptsTable,
  WebhookDispatchCursorTable,
  WebhookSubscriptionsTable
} from '../webhooks/webhooks.table.js'
import type { RegistryRequestBudgetsTable } from '../verification/registry-budgets.table.js'
import type { VersionApprovalsTable } from '../versions/approvals.table.js'
import type { VersionRolloutsTable } from '../rollouts/rollouts.table.js'

// The whole database as Kysely sees it (camelCase; CamelCasePlugin maps to snake_case columns).
// Each resource declares its own tables beside its code; this file only gathers them.
export interface DB {
  apiTokens: ApiTokensTable
  registryCredentials: RegistryCredentialsTable
  images: ImagesTable
  imageEvents: ImageEventsTable
  imageVersions: ImageVersionsTable
  checkJobs: CheckJobsTable
  idempotencyKeys: IdempotencyKeysTable
  resolutions: ResolutionsTable
  pullSecretGrants: PullSecretGrantsTable
  logBatches: LogBatchesTable
  resolutionUsageDays: ResolutionUsageDaysTable
  logRollups: LogRollupsTable
  webhookSubscriptions: WebhookSubscriptionsTable
  webhookDeliveries: WebhookDeliveriesTable
  webhookDeliveryAttempts: WebhookDeliveryAttemptsTable
  webhookDispatchCursor: WebhookDispatchCursorTable
  registryRequestBudgets: RegistryRequestBudgetsTable
  versionApprovals: VersionApprovalsTable
  versionRollouts: VersionRolloutsTable
}

/** What repository functions take: the database, or a transaction the caller opened. */
export type Db = Kysely<DB> | Transaction<DB>
