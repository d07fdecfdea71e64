import { canActFor, hasScope, isAdmin, requireScope, type Principal } from '../auth/scopes.js'
import { actsForOwner, canSeeImage } from '../images/image-access.js'
import { forbidden } from '../http/problem.js'
import type { ImageSnapshot } from './image-snapshot.js'
import { imageNotFound } from './resolve-problems.js'
import { audienceOf } from './select-version.js'

// Who may ask why a project gets what it gets: whoever may resolve for that project, and the
// image's publishers (images:read or images:write for its owner project), who answer their
// consumers' questions. Either way only for a project the image is visible to.

/** How the token may explain for the project; throws the 403 of resolve when it has neither way. */
export function explainAccess(p: Principal, project: string): 'resolver' | 'publisher' {
  const resolver = hasScope(p, 'resolve') && canActFor(p, project)
  if (!resolver && (hasScope(p, 'images:read') || hasScope(p, 'images:write'))) return 'publisher'
  requireScope(p, 'resolve', project)
  return 'resolver'
}

/**
 * The snapshot to explain, or the 404 and 403 of the request: an image the token cannot see, or not
 * visible to the project, reads as resolve answers it (IMAGE_NOT_FOUND; IMAGE_NOT_VISIBLE to admins).
 */
export function imageToExplain(
  p: Principal,
  access: 'resolver' | 'publisher',
  code: string,
  project: string,
  snapshot: ImageSnapshot | undefined
): ImageSnapshot {
  const admin = isAdmin(p)
  if (!snapshot || (access === 'publisher' && !canSeeImage(p, snapshot))) throw imageNotFound(code, project, false, admin)
  if (access === 'publisher' && !actsForOwner(p, snapshot)) {
    // A token that resolves for other projects learns what resolve would tell it.
    if (hasScope(p, 'resolve')) requireScope(p, 'resolve', project)
    throw forbidden(
      'NOT_IMAGE_OWNER',
      `Image "${code}" belongs to project "${snapshot.ownerProject}": explaining for "${project}" needs a token of the owner project (images:read) or one that resolves for "${project}".`,
      { ownerProject: snapshot.ownerProject }
    )
  }
  if (audienceOf(snapshot, project) === 'none') throw imageNotFound(code, project, true, admin)
  return snapshot
}
