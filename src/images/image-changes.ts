import type { ApprovalPolicy, ImageRow, ImageUpdate, StoredSignatureKey } from './images.table.js'
import { keyIdentities, sameKeys } from './signature-keys.js'
import type { UpdateImageBody } from './images.schemas.js'

type ImageState = Omit<ImageRow, 'search'>

type ScalarField = 'name' | 'summary' | 'description' | 'debugProject' | 'credentialId' | 'minTestingTime'

export type FieldChanges = Record<string, { from: unknown; to: unknown }>

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i])

const sameApproval = (a: ApprovalPolicy | null, b: ApprovalPolicy | null) =>
  a === null || b === null ? a === b : a.required === b.required && sameList(a.approverProjects, b.approverProjects)

/**
 * What a PATCH really changes on an image: the columns to set, and each changed field as
 * from → to (for the audit trail). Fields sent with their current value are not changes.
 * `signatureKeys` are the body's keys already parsed (signature-keys.ts).
 */
export function imageChanges(
  current: ImageState,
  body: UpdateImageBody,
  signatureKeys?: StoredSignatureKey[]
): { set: ImageUpdate; changes: FieldChanges } {
  const changes: FieldChanges = {}
  // The plain columns, whose stored and written types are the same.
  const scalars: Partial<Pick<ImageState, ScalarField>> = {}
  const scalar = <K extends ScalarField>(field: K, value: ImageState[K] | undefined) => {
    if (value === undefined || value === current[field]) return
    scalars[field] = value
    changes[field] = { from: current[field], to: value }
  }
  scalar('name', body.name)
  scalar('summary', body.summary)
  scalar('description', body.description)
  scalar('debugProject', body.debugProject)
  scalar('credentialId', body.credentialId)
  scalar('minTestingTime', body.minTestingTime)
  const set: ImageUpdate = { ...scalars }

  if (body.labels && !sameList(body.labels, current.labels)) {
    set.labels = body.labels
    changes.labels = { from: current.labels, to: body.labels }
  }
  const visibility = body.visibility
  if (visibility?.public !== undefined && visibility.public !== current.visibilityPublic) {
    set.visibilityPublic = visibility.public
    changes['visibility.public'] = { from: current.visibilityPublic, to: visibility.public }
  }
  if (visibility?.projects && !sameList(visibility.projects, current.visibilityProjects)) {
    set.visibilityProjects = visibility.projects
    changes['visibility.projects'] = { from: current.visibilityProjects, to: visibility.projects }
  }
  if (signatureKeys && !sameKeys(signatureKeys, current.signatureKeys)) {
    set.signatureKeys = JSON.stringify(signatureKeys)
    changes.signatureKeys = { from: keyIdentities(current.signatureKeys), to: keyIdentities(signatureKeys) }
  }
  if (body.approval !== undefined && !sameApproval(body.approval, current.approval)) {
    set.approval = body.approval === null ? null : JSON.stringify(body.approval)
    changes.approval = { from: current.approval, to: body.approval }
  }
  return { set, changes }
}
