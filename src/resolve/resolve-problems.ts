import { badRequest, conflict, gone, notFound, type ProblemError } from '../http/problem.js'
import type { SnapshotVersion } from './image-snapshot.js'
import { formatVersion } from '../versions/version-number.js'
import { SPEC_GRAMMAR, SPEC_GRAMMAR_TEXT, type Selection } from './select-version.js'

// The problems resolve answers with. Each 404 says which part failed; pure.

const show = (v: SnapshotVersion | undefined): string | null => (v ? formatVersion(v) : null)

export const invalidSpec = (spec: string): ProblemError =>
  badRequest('INVALID_VERSION_SPEC', `"${spec}" is not a version spec. Use one of: ${SPEC_GRAMMAR_TEXT}.`, {
    spec,
    grammar: [...SPEC_GRAMMAR]
  })

/**
 * A private image must not be revealed to a project that cannot see it, so unknown and invisible
 * read the same (IMAGE_NOT_FOUND) to ordinary tokens; only an admin, who may list every image
 * anyway, learns that the image exists but is not visible.
 */
export function imageNotFound(code: string, project: string, exists: boolean, admin: boolean): ProblemError {
  if (exists && admin) {
    return notFound(
      'IMAGE_NOT_VISIBLE',
      `Image "${code}" exists but is not visible to project "${project}": it is private. Its owner can add "${project}" to visibility.projects or make it public.`,
      { image: code, project }
    )
  }
  const detail = admin
    ? `No image has the code "${code}". Check the code in GET /v1/images.`
    : `No image "${code}" is visible to project "${project}". Check the code; a private image must list "${project}" in its visibility.projects.`
  return notFound('IMAGE_NOT_FOUND', detail, { image: code, project })
}

export function versionNotFound(code: string, spec: string, project: string, newest: SnapshotVersion | undefined): ProblemError {
  const hint = newest ? `the newest it can use is ${formatVersion(newest)}` : 'it has no released version yet'
  return notFound('VERSION_NOT_FOUND', `Image "${code}" has no version matching "${spec}" that project "${project}" can use; ${hint}.`, {
    image: code,
    spec,
    newestVersion: show(newest)
  })
}

export function versionWithdrawn(code: string, version: SnapshotVersion, serving: SnapshotVersion | undefined): ProblemError {
  const line = `${version.major}.latest`
  const instead = serving
    ? `"${line}" now resolves to ${formatVersion(serving)}; use it or another exact version.`
    : `no other version serves "${line}"; use another major.`
  return gone(
    'VERSION_WITHDRAWN',
    `Version ${formatVersion(version)} of "${code}" was withdrawn (${version.withdrawReason ?? 'no reason given'}); ${instead}`,
    {
      image: code,
      version: formatVersion(version),
      withdrawReason: version.withdrawReason,
      servingVersion: show(serving)
    }
  )
}

export function versionUnavailable(code: string, version: SnapshotVersion, serving: SnapshotVersion | undefined): ProblemError {
  const unavailable = version.unavailable
  const reason = unavailable?.reason ?? 'no reason was recorded'
  const since = unavailable?.since ?? ''
  const line = `${version.major}.latest`
  const instead = serving
    ? `"${line}" now resolves to ${formatVersion(serving)}; use it or another exact version.`
    : `no other version serves "${line}"; use another major.`
  return gone(
    'VERSION_UNAVAILABLE',
    `Version ${formatVersion(version)} of "${code}" cannot be pulled since ${since}: ${reason.replace(/\.$/, '')}. It is served again once a verification finds it pullable; ${instead}`,
    {
      image: code,
      version: formatVersion(version),
      unavailableReason: reason,
      unavailableSince: since,
      servingVersion: show(serving)
    }
  )
}

/** The problem resolve answers for a selection that did not resolve. */
export function selectionProblem(code: string, spec: string, project: string, selection: Refusal): ProblemError {
  switch (selection.kind) {
    case 'no-match':
      return versionNotFound(code, spec, project, selection.newest)
    case 'withdrawn':
      return versionWithdrawn(code, selection.version, selection.serving)
    case 'unavailable':
      return versionUnavailable(code, selection.version, selection.serving)
  }
}

type Refusal = Exclude<Selection, { kind: 'resolved' }>

export const credentialUnavailable = (code: string, credentialId: string): ProblemError =>
  conflict(
    'CREDENTIAL_UNAVAILABLE',
    `The registry credential ${credentialId} of image "${code}" cannot be read (deleted, or sealed with a key this service no longer has). Ask the owner of the image to set a working credential.`,
    { image: code, credentialId }
  )
