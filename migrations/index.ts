import type { Migration } from 'kysely'
import * as tokens from './20261126180000_api_tokens.js'
import * as imagesCredentials from './20261126180100_credentials_images_events.js'
import * as versionsChecks from './20261126180200_versions_checks.js'
import * as resolutionsGrants from './20261126185000_resolutions_pull_secret_grants.js'
import * as resolutionCounts from './20261126210000_resolution_counts.js'
import * as imageOwnership from './20261201140000_image_ownership_by_project.js'
import * as credentialRegistries from './20261201150000_credential_registries.js'
import * as eventsOutbox from './20261202100000_events_outbox.js'
import * as eventFeedWebhooks from './20261203100000_event_feed_and_webhooks.js'
import * as verificationSignatures from './20261204100000_verification_and_signatures.js'
import * as releaseSafety from './20261205100000_release_safety.js'
import * as partitionedLog from './20261206100000_partitioned_log.js'
import * as usageDays from './20261207100000_resolution_usage_days.js'

// Frozen list, in order: add new files at the end, never edit one that has landed.
export const migrations: Record<string, Migration> = {
  '20261126180000_api_tokens': tokens,
  '20261126180100_credentials_images_events': imagesCredentials,
  '20261126180200_versions_checks': versionsChecks,
  '20261126185000_resolutions_pull_secret_grants': resolutionsGrants,
  '20261126210000_resolution_counts': resolutionCounts,
  '20261201140000_image_ownership_by_project': imageOwnership,
  '20261201150000_credential_registries': credentialRegistries,
  '20261202100000_events_outbox': eventsOutbox,
  '20261203100000_event_feed_and_webhooks': eventFeedWebhooks,
  '20261204100000_verification_and_signatures': verificationSignatures,
  '20261205100000_release_safety': releaseSafety,
  '20261206100000_partitioned_log': partitionedLog,
  '20261207100000_resolution_usage_days': usageDays
}
