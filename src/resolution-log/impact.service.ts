import type { Principal } from '../auth/scopes.js'
import type { Db } from '../db/schema.js'
import { notFound } from '../http/problem.js'
import { compareVersions, parseVersion, type VersionNumber } from '../versions/version-number.js'
import { impactKind, specMoves } from './impact-rules.js'
import { findImpactVersions, findResolvers, type ResolverMatch } from './impact.repository.js'
import type { VersionImpact } from './impact.schemas.js'
import { windowStart } from './log-window.js'
import { readableLog } from './readable-log.js'

/** Rows listed at most; the totals count them all. */
export const IMPACT_ROW_LIMIT = 500

export interface ImpactRequest {
  db: Db
  principal: Principal
  code: string
  version: string
  window: string
  retentionDays: number
  now?: Date
}

/** Who a release would reach (a version in progress), or who is on a version (released or since taken back). */
export async function versionImpact(r: ImpactRequest): Promise<VersionImpact> {
  const since = windowStart(r.window, r.retentionDays, r.now ?? new Date())
  const { image, projects } = await readableLog(r.db, r.principal, r.code, undefined)
  // The schema's pattern is version-number's own, so the text parses.
  const target = parseVersion(r.version) as VersionNumber
  const versions = await findImpactVersions(r.db, image.id)
  const version = versions.find((v) => compareVersions(v, target) === 0)
  if (!version) {
    throw notFound(
      'VERSION_NOT_FOUND',
      `Image "${r.code}" has no version ${r.version}; list its versions with GET /v1/images/${r.code}/versions.`,
      { image: r.code, version: r.version }
    )
  }
  const kind = impactKind(version.status)
  const specs = kind === 'on_release' ? specMoves(target, versions) : null
  const match: ResolverMatch = specs ? { specs: specs.filter((s) => s.moves).map((s) => s.spec) } : { version: r.version }
  const found = await findResolvers(r.db, { imageId: image.id, match, since, projects, limit: IMPACT_ROW_LIMIT })
  return {
    image: image.code,
    version: r.version,
    status: version.status,
    kind,
    window: r.window,
    since: since.toISOString(),
    specs,
    resolvers: found.rows.map((row) => ({ ...row, lastResolvedAt: row.lastResolvedAt.toISOString() })),
    totals: found.totals,
    truncated: found.truncated
  }
}
