import { conflict, type ProblemError } from '../http/problem.js'
import { allowedActions, APPROVER_TRANSITIONS, TRANSITIONS, type ApproverAction, type PublisherAction } from './version-lifecycle.js'
import { formatVersion } from './version-number.js'
import type { VersionRow } from './versions.table.js'

/** 409 for a second submission while one version is still checking, failed its check, testing or awaiting approval. */
export function inProgressConflict(imageCode: string, inProgress: VersionRow): ProblemError {
  const v = formatVersion(inProgress)
  return conflict(
    'VERSION_IN_PROGRESS',
    `Version ${v} of image "${imageCode}" is still ${inProgress.status}; an image has one version in progress at a time. Release it (POST .../versions/${v}/release) or cancel it (POST .../versions/${v}/cancel) before submitting another.`,
    { inProgressVersion: v, currentStatus: inProgress.status, allowedActions: allowedActions(inProgress.status) }
  )
}

/** 409 for an action the version's current status does not allow. */
export function statusConflict(version: VersionRow, action: PublisherAction | ApproverAction): ProblemError {
  const v = formatVersion(version)
  const allowed = allowedActions(version.status)
  const transition = action === 'approve' || action === 'reject' ? TRANSITIONS[APPROVER_TRANSITIONS[action]] : TRANSITIONS[action]
  return conflict(
    'VERSION_STATUS_CONFLICT',
    `Version ${v} is ${version.status}; "${action}" needs it to be ${transition.from.join(' or ')}. From ${version.status} the allowed actions are: ${allowed.join(', ') || 'none (final status)'}.`,
    { version: v, currentStatus: version.status, allowedActions: allowed }
  )
}
