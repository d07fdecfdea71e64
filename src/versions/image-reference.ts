// Where a version's image lives, normalised once at submission with the registry client's own
// grammar, so "docker.io", "" and "index.docker.io" are one registry and the released-reference
// index compares like with like.
import { badRequest } from '../http/problem.js'
import { buildReference, InvalidReferenceError } from '../registry/index.js'

export interface ImageLocation {
  registry: string
  repository: string
  tag: string
}

export function normaliseLocation(input: { registry?: string | undefined; repository: string; tag: string }): ImageLocation {
  try {
    const ref = buildReference({ registry: input.registry ?? '', repository: input.repository, tag: input.tag })
    return { registry: ref.registry, repository: ref.repository, tag: input.tag }
  } catch (error) {
    if (!(error instanceof InvalidReferenceError)) throw error
    throw badRequest(
      'INVALID_IMAGE_REFERENCE',
      `${error.problem}; give registry as host[:port] (empty for docker.io), repository as lower-case path components such as "team/tools/builder", and a tag such as "1.4.2".`,
      {
        reference: error.input
      }
    )
  }
}

/** `registry/repository:tag`, what the publisher pushed. */
export const imageReference = (v: ImageLocation): string => `${v.registry}/${v.repository}:${v.tag}`

/** `registry/repository@sha256:…`, what a job should pull; null until a check recorded a digest. */
export const pinnedReference = (v: Omit<ImageLocation, 'tag'> & { digest: string | null }): string | null =>
  v.digest ? `${v.registry}/${v.repository}@${v.digest}` : null
