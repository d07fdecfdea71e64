import type { ImageLine } from '../images/images.schemas.js'
import { formatVersion } from './version-number.js'
import type { LineVersions } from './versions.repository.js'

/**
 * One entry per major line that has a release or a version in progress, highest major first.
 * `released` holds the highest release of each major; if a line somehow had two versions in
 * progress, the highest one is shown.
 */
export function imageLines({ released, inProgress }: LineVersions): ImageLine[] {
  const lines = new Map<number, ImageLine>()
  const line = (major: number): ImageLine => {
    let entry = lines.get(major)
    if (!entry) {
      entry = { major, latest: null, inProgress: null }
      lines.set(major, entry)
    }
    return entry
  }
  for (const v of released) line(v.major).latest ??= { version: formatVersion(v), releasedAt: v.releasedAt?.toISOString() ?? null }
  for (const v of inProgress) line(v.major).inProgress ??= { version: formatVersion(v), status: v.status }
  return [...lines.values()].sort((a, b) => b.major - a.major)
}
