import { canActFor, isAdmin, type Principal } from '../auth/scopes.js'
import { isImageOwner, isVisibleTo, type ImageAccess } from '../images/image-access.js'

/**
 * Whose resolutions of an image a token may read: all of them (admin, unrestricted tokens, the
 * image's owners and its owner or debug project), only those of its own projects that can see the
 * image, or none (undefined: the image is answered as not found). Pure.
 */
export function readableProjects(p: Principal, image: ImageAccess): { all: true } | { projects: string[] } | undefined {
  if (isAdmin(p) || p.projects === null || isImageOwner(p, image)) return { all: true }
  if (canActFor(p, image.ownerProject) || canActFor(p, image.debugProject)) return { all: true }
  const projects = p.projects.filter((project) => isVisibleTo(image, project))
  return projects.length > 0 ? { projects } : undefined
}
