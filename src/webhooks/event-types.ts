// The event types a subscription may ask for: every action the service writes to the outbox that
// tells of a change. version.check_retry_scheduled is a progress report of a check still under way
// (the feed leaves it out too); events about subscriptions themselves (webhook.*) are never
// delivered (see delivery/matching.ts).
export const SUBSCRIBABLE_EVENT_TYPES = [
  'image.associated',
  'image.updated',
  'image.deleted',
  'image.credential_rebound',
  'version.submitted',
  'version.check_passed',
  'version.check_failed',
  'version.recheck_requested',
  'version.released',
  'version.cancelled',
  'version.withdrawn',
  'version.verification_requested',
  'version.drifted',
  'version.drift_cleared',
  'version.unavailable',
  'version.available',
  'version.release_requested',
  'version.approved',
  'version.rejected',
  'version.rollout_started',
  'version.rollout_advanced',
  'version.rollout_paused',
  'version.rollout_resumed',
  'version.rollout_completed',
  'version.rollout_aborted'
] as const

export const ALL_EVENT_TYPES = '*'
