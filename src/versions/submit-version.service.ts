// Submitting a version: the number is computed inside the transaction that inserts it, and the
// database's partial unique indexes, not an earlier read, decide races between submissions.
import type { Principal } from '../auth/scopes.js'
import type { Database } from '../db/database.js'
import { commitChanges } from '../changes/commit-changes.js'
import type { ChangeNotifier } from '../changes/change-bus.js'
import { badRequest, conflict, notFound, ProblemError, unprocessable } from '../http/problem.js'
import { findIdempotencyRecord, saveIdempotencyRecord, type StoredResponse } from '../idempotency/idempotency.repository.js'
import { IDEMPOTENCY_TTL_MS, replayOrReject } from '../idempotency/idempotency.js'
import { requestHash } from '../idempotency/request-hash.js'
import { pruneExpiredKeysOccasionally } from '../idempotency/prune.js'
import { describeLines, nextVersion } from './version-bump.js'
import { formatVersion } from './version-number.js'
import { imageReference, normaliseLocation } from './image-reference.js'
import { MAX_DOCKERFILE_BYTES, MAX_RELEASE_NOTES_BYTES, type SubmitVersionBody } from './versions.schemas.js'
import { findInProgressVersion, findLineHeads, findReleasedAt } from './versions.repository.js'
import type { VersionImage } from './version-access.js'
import type { CheckQueue } from './check-queue.js'
import { submitVersionRow } from './version-transitions.js'
import { inProgressConflict } from './version-problems.js'
import { toVersion, versionPath } from './version-view.js'
import { violatedForeignKey, violatedUnique } from '../db/pg-errors.js'
import { lockCredentialBinding } from '../credentials/credentials.repository.js'
import { isBoundRegistry } from '../registry/index.js'

export interface SubmitContext {
  db: Database
  principal: Principal
  requestId: string
  idempotencyKey?: string | undefined
  changes: ChangeNotifier
  queue: CheckQueue
}

// A number collision (a concurrent submission took the number first) is retried from a fresh read;
// by then the winner is committed and the retry reports it as the version in progress.
const MAX_ATTEMPTS = 3

/** Returns the answer to send: 202 with the new version, or a replay of an earlier identical request. */
export async function submitVersion(ctx: SubmitContext, image: VersionImage, body: SubmitVersionBody): Promise<StoredResponse> {
  checkSizes(body)
  const location = normaliseLocation(body)
  const idempotency = ctx.idempotencyKey
    ? { tokenId: ctx.principal.tokenId, scope: `submit-version:${image.id}`, key: ctx.idempotencyKey }
    : undefined
  // Hashing a body of up to ~320 KiB only matters when there is a key to remember it under.
  const hash = idempotency ? requestHash(body) : ''
  const replay = async (): Promise<StoredResponse | undefined> => {
    const record = idempotency && (await findIdempotencyRecord(ctx.db, idempotency, IDEMPOTENCY_TTL_MS))
    return record ? replayOrReject(record, hash, idempotency.key) : undefined
  }
  const earlier = await replay()
  if (earlier) return earlier
  // Absent: the image's credential; null: an anonymous pull.
  const credentialId = body.credentialId === undefined ? image.credentialId : body.credentialId

  for (let attempt = 1; ; attempt++) {
    try {
      const response = await commitChanges(ctx.db, ctx.changes, async (trx, record) => {
        if (credentialId) await checkBinding(trx, image, credentialId, location.registry, body.credentialId === undefined)
        // Heads first: each statement sees what was committed before it, so a concurrent winner
        // whose version shows up in the heads also shows up as the version in progress.
        const heads = await findLineHeads(trx, image.id)
        const inProgress = await findInProgressVersion(trx, image.id)
        if (inProgress) throw inProgressConflict(image.code, inProgress)
        const released = await findReleasedAt(trx, image.id, location)
        if (released) throw referenceReleased(image.code, imageReference(location), formatVersion(released))
        const bumped = nextVersion(heads, body)
        if (!bumped.ok) throw bumpProblem(bumped.error, body, heads)
        const transition = { trx, record, actor: ctx.principal, requestId: ctx.requestId }
        const row = await submitVersionRow(
          transition,
          ctx.queue,
          image,
          {
            imageId: image.id,
            ...bumped.version,
            releaseType: bumped.releaseType,
            status: 'checking',
            ...location,
            credentialId,
            dockerfile: body.dockerfile ?? null,
            releaseNotes: body.releaseNotes ?? null,
            submittedBy: ctx.principal.name,
            submittedByTokenId: ctx.principal.tokenId
          },
          body.line ?? null
        )
        const answer: StoredResponse = {
          status: 202,
          headers: { location: versionPath(image.code, row) },
          body: toVersion(row, image)
        }
        if (idempotency) await saveIdempotencyRecord(trx, idempotency, hash, answer, IDEMPOTENCY_TTL_MS)
        return answer
      })
      if (idempotency) pruneExpiredKeysOccasionally(ctx.db)
      return response
    } catch (error) {
      const constraint = violatedUnique(error)
      // A retry of a request that is committing right now: answer as the original did.
      if (idempotency && (constraint !== undefined || (error instanceof ProblemError && error.status === 409))) {
        const original = await replay()
        if (original) return original
      }
      if (constraint === 'image_versions_number_key' && attempt < MAX_ATTEMPTS) continue
      throw await explainViolation(ctx.db, image, constraint, error)
    }
  }
}

async function explainViolation(db: Database, image: VersionImage, constraint: string | undefined, error: unknown): Promise<unknown> {
  if (constraint === 'image_versions_one_in_progress') {
    const inProgress = await findInProgressVersion(db, image.id)
    if (inProgress) return inProgressConflict(image.code, inProgress)
  }
  if (constraint !== undefined) {
    return conflict(
      'CONCURRENT_SUBMISSION',
      `Another version of image "${image.code}" was submitted at the same moment; list its versions and retry if yours is still needed.`
    )
  }
  switch (violatedForeignKey(error)) {
    // The image was deleted (it had no release yet) while the version was being submitted.
    case 'image_versions_image_id_fkey':
      return imageDeleted(image.code)
  }
  return error
}

/**
 * A credential given in the body must be one of the owner project's, and every credential must be
 * bound to the version's registry; its row stays share-locked until commit (PATCH takes the lock).
 */
async function checkBinding(
  trx: Parameters<typeof lockCredentialBinding>[0],
  image: VersionImage,
  credentialId: string,
  registry: string,
  imageDefault: boolean
): Promise<void> {
  const binding = await lockCredentialBinding(trx, credentialId)
  if (!binding) throw credentialNotFound(credentialId)
  if (!imageDefault && binding.project !== image.ownerProject) {
    throw unprocessable(
      'CREDENTIAL_NOT_IN_OWNER_PROJECT',
      `Credential ${credentialId} belongs to project "${binding.project}", but image "${image.code}" is owned by "${image.ownerProject}"; use a credential of "${image.ownerProject}", omit credentialId for the image's own, or send null for an anonymous pull.`,
      { credentialProject: binding.project, ownerProject: image.ownerProject }
    )
  }
  if (isBoundRegistry(binding.registries, registry)) return
  const which = imageDefault ? `The image's credential ${credentialId}` : `Credential ${credentialId}`
  const bound =
    binding.registries.length > 0
      ? `is bound to ${binding.registries.join(', ')}`
      : 'is bound to no registry yet (unbound: set its registries with PATCH before use)'
  throw badRequest(
    'CREDENTIAL_REGISTRY_MISMATCH',
    `${which} ${bound}, not to ${registry}, and is never sent elsewhere. Send "credentialId": null for an anonymous pull, another credential of the owner project that is bound to ${registry}, or add "${registry}" to this credential's registries with PATCH /v1/projects/${binding.project}/credentials/${credentialId}.`,
    { credentialId, credentialRegistries: binding.registries, registry }
  )
}

const credentialNotFound = (id: string) =>
  notFound(
    'CREDENTIAL_NOT_FOUND',
    `No registry credential ${id}; list the owner project's credentials with GET /v1/projects/{project}/credentials, or send null for an anonymous pull.`
  )

const imageDeleted = (code: string) =>
  notFound(
    'IMAGE_NOT_FOUND',
    `Image "${code}" was deleted while this version was being submitted; nothing was recorded. Associate the image again with POST /v1/images before submitting.`,
    {
      image: code
    }
  )

const referenceReleased = (code: string, reference: string, version: string) =>
  conflict(
    'REFERENCE_ALREADY_RELEASED',
    `${reference} is already released as ${version} of image "${code}"; push the new image under a new tag and submit that.`,
    {
      releasedVersion: version
    }
  )

function bumpProblem(
  error: 'RELEASE_TYPE_REQUIRED' | 'MAJOR_WITH_LINE' | 'LINE_NOT_FOUND',
  body: SubmitVersionBody,
  heads: Parameters<typeof describeLines>[0]
): ProblemError {
  const lines = heads.map((v) => v.major).sort((a, b) => a - b)
  switch (error) {
    case 'RELEASE_TYPE_REQUIRED':
      return unprocessable(
        'RELEASE_TYPE_REQUIRED',
        `The image already has versions (${describeLines(heads)}); say how this one differs with releaseType "major", "minor" or "patch".`,
        { lines }
      )
    case 'MAJOR_WITH_LINE':
      return badRequest(
        'MAJOR_WITH_LINE',
        `A major release starts a new line, so it cannot target line ${body.line}; drop "line", or use releaseType "minor" or "patch" for a change on line ${body.line}.`
      )
    case 'LINE_NOT_FOUND':
      return unprocessable(
        'LINE_NOT_FOUND',
        `Line ${body.line} has no version to bump; the lines are: ${describeLines(heads)}. Pick one of them or drop "line".`,
        { lines }
      )
  }
}

function checkSizes(body: SubmitVersionBody): void {
  if (body.dockerfile !== undefined && Buffer.byteLength(body.dockerfile) > MAX_DOCKERFILE_BYTES) {
    throw badRequest(
      'DOCKERFILE_TOO_LARGE',
      `dockerfile is ${Buffer.byteLength(body.dockerfile)} bytes; at most ${MAX_DOCKERFILE_BYTES} (256 KiB) are stored.`
    )
  }
  if (body.releaseNotes !== undefined && Buffer.byteLength(body.releaseNotes) > MAX_RELEASE_NOTES_BYTES) {
    throw badRequest(
      'RELEASE_NOTES_TOO_LARGE',
      `releaseNotes is ${Buffer.byteLength(body.releaseNotes)} bytes; at most ${MAX_RELEASE_NOTES_BYTES} (64 KiB) are stored.`
    )
  }
}
