import { isBoundRegistry } from '../registry/index.js'
import type { ImageSnapshot, SnapshotVersion } from './image-snapshot.js'
import type { Resolution } from './resolve.schemas.js'
import { formatVersion } from '../versions/version-number.js'

// Turns a selected version into what the engine receives. Pure.
export function toResolution(image: ImageSnapshot, version: SnapshotVersion, spec: string): Resolution {
  const base = `${version.registry}/${version.repository}`
  const digest = version.digest as string // a selected version always has a digest (skipReason)
  // A version pinned to its own credential at submission keeps it; otherwise the image's. Either
  // is used only on a registry it is bound to; elsewhere the pull is anonymous.
  const configured = version.credential ?? image.credential
  const bound = configured && isBoundRegistry(configured.registries, version.registry)
  const resolution: Resolution = {
    image: image.code,
    spec,
    version: formatVersion(version),
    // Never withdrawn: skipReason passes no withdrawn version.
    status: version.status as Resolution['status'],
    reference: `${base}:${version.tag}`,
    digest,
    pinnedReference: `${base}@${digest}`,
    platforms: version.platforms,
    drift: version.drift,
    credential: configured && bound ? { id: configured.id, project: configured.project } : null
  }
  if (configured && !bound) resolution.unboundCredential = { id: configured.id, project: configured.project }
  return resolution
}
