import type { Coalescing } from './row-buffer.js'
import type { ResolutionRecord } from './log-inserts.js'

/**
 * Resolutions that differ only in time are one log row while they wait to be written: the jobs of
 * one build asking for the same image, or a job retried, become one row with a count and the times
 * of the first and the last. Anything else that differs (another build, spec, token, or a release
 * in between that changed the version or digest) keeps its own row. Pure.
 */
export const resolutionCoalescing: Coalescing<ResolutionRecord> = {
  // spec, version, status, digest, ids and project are validated to forms without spaces; pipeline
  // and build are free text, so pipeline's length says where build starts (null is -1, not 0).
  key: (r) =>
    `${r.imageId} ${r.tokenId ?? ''} ${r.project} ${r.spec} ${r.version} ${r.status} ${r.digest} ${r.pipeline?.length ?? -1} ${r.build === null ? '-' : '+'}${r.pipeline ?? ''}${r.build ?? ''}`,
  merge: (into, row) => {
    into.count += row.count
    // getTime(): comparing Dates with < converts both through Symbol.toPrimitive, on every request.
    if (row.firstResolvedAt.getTime() < into.firstResolvedAt.getTime()) into.firstResolvedAt = row.firstResolvedAt
    if (row.resolvedAt.getTime() > into.resolvedAt.getTime()) into.resolvedAt = row.resolvedAt
  }
}
