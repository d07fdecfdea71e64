import type { Transaction } from 'kysely'
import type { Database } from '../db/database.js'
import { violatedForeignKey, violatedUnique } from '../db/pg-errors.js'
import type { DB } from '../db/schema.js'
import { requireScope, type Principal } from '../auth/scopes.js'
import { conflict, notFound, preconditionFailed, unprocessable } from '../http/problem.js'
import { findCredential } from '../credentials/credentials.repository.js'
import { commitChanges, type RecordChange } from '../changes/commit-changes.js'
import type { ChangeNotifier } from '../changes/change-bus.js'
import { canSeeImage, requireImageManager } from './image-access.js'
import { imageChanges } from './image-changes.js'
import { ifMatchAllows, imageETag } from './image-etag.js'
import { keyIdentities, parseImageSignatureKeys, toSignatureKeyView } from './signature-keys.js'
import type { ImageVersions } from './image-versions.js'
import type { CreateImageBody, Image, ImageDetail, UpdateImageBody } from './images.schemas.js'
import {
  deleteImageById,
  findImageByCode,
  insertImage,
  lockImageByCode,
  updateImageAtRevision,
  type ImageRecord
} from './images.repository.js'

/** Who asks, for authorization and the audit trail. */
export interface Caller {
  principal: Principal
  requestId: string
}

/** What changing an image needs besides the database. */
export interface ImageDeps {
  changes: ChangeNotifier
  versions: ImageVersions
}

export function toImage(row: ImageRecord): Image {
  return {
    id: row.id,
    code: row.code,
    name: row.name,
    ownerProject: row.ownerProject,
    debugProject: row.debugProject,
    credentialId: row.credentialId,
    summary: row.summary,
    description: row.description,
    labels: row.labels,
    visibility: { public: row.visibilityPublic, projects: row.visibilityProjects },
    signatureKeys: row.signatureKeys.map(toSignatureKeyView),
    approval: row.approval,
    minTestingTime: row.minTestingTime,
    revision: row.revision,
    lastReleasedAt: row.lastReleasedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    updatedAt: row.updatedAt.toISOString()
  }
}

export const imageNotFound = (code: string) =>
  notFound('IMAGE_NOT_FOUND', `No image with code "${code}" (or it is not visible to this token); list images with GET /v1/images.`)

const credentialNotInProject = (credentialId: string, project: string) =>
  unprocessable(
    'CREDENTIAL_NOT_IN_PROJECT',
    `Credential ${credentialId} does not exist in project "${project}", the image's owner project; pick one from GET /v1/projects/${project}/credentials or create it there.`,
    { credentialId, project }
  )

async function requireOwnCredential(trx: Transaction<DB>, credentialId: string | null | undefined, project: string): Promise<void> {
  if (credentialId && !(await findCredential(trx, project, credentialId))) throw credentialNotInProject(credentialId, project)
}

/** A visible image, or 404; the caller has already been checked for images:read or images:write. */
export async function visibleImage(db: Database | Transaction<DB>, principal: Principal, code: string): Promise<ImageRecord> {
  const row = await findImageByCode(db, code)
  if (!row || !canSeeImage(principal, row)) throw imageNotFound(code)
  return row
}

export async function createImage(db: Database, deps: ImageDeps, caller: Caller, body: CreateImageBody): Promise<ImageRecord> {
  const debugProject = body.debugProject ?? body.ownerProject
  requireScope(caller.principal, 'images:write', body.ownerProject)
  requireScope(caller.principal, 'images:write', debugProject)
  const signatureKeys = parseImageSignatureKeys(body.signatureKeys ?? [])
  const values = {
    code: body.code,
    name: body.name,
    ownerProject: body.ownerProject,
    debugProject,
    credentialId: body.credentialId ?? null,
    summary: body.summary ?? null,
    description: body.description ?? null,
    labels: body.labels ?? [],
    visibilityPublic: body.visibility?.public ?? false,
    visibilityProjects: body.visibility?.projects ?? [],
    signatureKeys: JSON.stringify(signatureKeys),
    approval: body.approval ? JSON.stringify(body.approval) : null,
    minTestingTime: body.minTestingTime ?? null,
    createdBy: caller.principal.name
  }
  try {
    return await commitChanges(db, deps.changes, async (trx, record) => {
      await requireOwnCredential(trx, values.credentialId, values.ownerProject)
      const row = await insertImage(trx, values)
      const { code, name, ownerProject, credentialId, summary, labels } = values
      const details = {
        code,
        name,
        ownerProject,
        debugProject,
        credentialId,
        summary,
        labels,
        visibility: { public: values.visibilityPublic, projects: values.visibilityProjects },
        signatureKeys: keyIdentities(signatureKeys),
        approval: body.approval ?? null,
        minTestingTime: values.minTestingTime
      }
      await record({
        image: row,
        action: 'image.associated',
        actor: caller.principal,
        details,
        requestId: caller.requestId,
        changesResolutions: true
      })
      return row
    })
  } catch (error) {
    // The unique constraint, not a prior read, decides between concurrent creations of one code.
    if (violatedUnique(error) === 'images_code_key') {
      throw conflict(
        'IMAGE_CODE_TAKEN',
        `The code "${body.code}" is already taken by another image; codes are unique in the store, choose another.`,
        { imageCode: body.code }
      )
    }
    // The credential was deleted between our check and the insert.
    if (violatedForeignKey(error) !== undefined && values.credentialId)
      throw credentialNotInProject(values.credentialId, values.ownerProject)
    throw error
  }
}

export async function getImageDetail(db: Database, versions: ImageVersions, principal: Principal, code: string): Promise<ImageDetail> {
  const row = await visibleImage(db, principal, code)
  return { ...toImage(row), lines: await versions.lines(db, row.id) }
}

const staleIfMatch = (code: string, revision: number) =>
  preconditionFailed(
    'IMAGE_CHANGED',
    `Image "${code}" is now at ETag ${imageETag(revision)}, not the one in If-Match; GET it again, re-apply your change and retry.`,
    {
      currentETag: imageETag(revision)
    }
  )

/**
 * The row is locked while the edit is computed, so the from → to in the audit trail is exact and
 * concurrent unconditional edits apply one after the other; the UPDATE itself is still a
 * compare-and-set on the revision that was checked against If-Match.
 */
export async function updateImage(
  db: Database,
  deps: ImageDeps,
  caller: Caller,
  code: string,
  body: UpdateImageBody,
  ifMatch: string | undefined
): Promise<ImageRecord> {
  try {
    return await commitChanges(db, deps.changes, (trx, record) => applyImageUpdate(trx, record, caller, code, body, ifMatch))
  } catch (error) {
    // The new credential was deleted between our check and the update.
    if (violatedForeignKey(error) !== undefined && body.credentialId)
      throw credentialNotInProject(body.credentialId, (await findImageByCode(db, code))?.ownerProject ?? '')
    throw error
  }
}

/** The image, locked, if the caller may see (else 404) and manage it (else 403). */
async function lockManagedImage(trx: Transaction<DB>, caller: Caller, code: string): Promise<ImageRecord> {
  const current = await lockImageByCode(trx, code)
  if (!current || !canSeeImage(caller.principal, current)) throw imageNotFound(code)
  requireImageManager(caller.principal, current)
  return current
}

async function applyImageUpdate(
  trx: Transaction<DB>,
  record: RecordChange,
  caller: Caller,
  code: string,
  body: UpdateImageBody,
  ifMatch: string | undefined
): Promise<ImageRecord> {
  const current = await lockManagedImage(trx, caller, code)
  if (body.debugProject !== undefined && body.debugProject !== current.debugProject)
    requireScope(caller.principal, 'images:write', body.debugProject)
  if (!ifMatchAllows(ifMatch, current.revision)) throw staleIfMatch(code, current.revision)
  const signatureKeys = body.signatureKeys && parseImageSignatureKeys(body.signatureKeys)
  const { set, changes } = imageChanges(current, body, signatureKeys)
  if (Object.keys(changes).length === 0) return current
  if (set.credentialId) await requireOwnCredential(trx, set.credentialId, current.ownerProject)
  const updated = await updateImageAtRevision(trx, current.id, current.revision, set)
  if (!updated) throw staleIfMatch(code, current.revision + 1)
  // Visibility, projects or credential may have changed: what resolve answers may differ.
  await record({
    image: current,
    action: 'image.updated',
    actor: caller.principal,
    details: { changes },
    requestId: caller.requestId,
    changesResolutions: true
  })
  return updated
}

export async function deleteImage(
  db: Database,
  deps: ImageDeps,
  caller: Caller,
  code: string,
  ifMatch: string | undefined
): Promise<ImageRecord> {
  return commitChanges(db, deps.changes, async (trx, record) => {
    // Locked: releasing a version updates images.last_released_at, so it waits for (or is seen by)
    // this check and cannot land between the check and the delete.
    const current = await lockManagedImage(trx, caller, code)
    if (!ifMatchAllows(ifMatch, current.revision)) throw staleIfMatch(code, current.revision)
    if (await deps.versions.hasPublished(trx, current.id)) {
      throw conflict(
        'IMAGE_HAS_RELEASES',
        `Image "${code}" has released or withdrawn versions that pipelines may still reference; it cannot be deleted (make it private instead).`
      )
    }
    await deleteImageById(trx, current.id)
    // Kept after the image is gone (no cascade on events): the feed must tell of the deletion.
    await record({
      image: current,
      action: 'image.deleted',
      actor: caller.principal,
      details: { code: current.code, ownerProject: current.ownerProject },
      requestId: caller.requestId,
      changesResolutions: true
    })
    return current
  })
}
