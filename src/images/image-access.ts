// Who may see and who may manage an image. Authorization is by project, never by name: an image
// belongs to its owner project, and a token manages it when it may act for that project.
import { canActFor, isAdmin, requireScope, type Principal } from '../auth/scopes.js'
import { forbidden } from '../http/problem.js'

/** The fields of an image that decide who may manage and who may see it. */
export interface ImageAccess {
  ownerProject: string
  debugProject: string
  visibilityPublic: boolean
  visibilityProjects: string[]
}

/** A project may see (resolve) an image that is public, lists it, or that it owns or debugs. */
export const isVisibleTo = (image: ImageAccess, project: string): boolean =>
  image.visibilityPublic || image.ownerProject === project || image.debugProject === project || image.visibilityProjects.includes(project)

/**
 * Whether a token may read an image at all: admin and unrestricted tokens see every image, a token
 * limited to projects only those visible to one of them (others answer 404, never 403, so private
 * images are not revealed).
 */
export const canSeeImage = (p: Principal, image: ImageAccess): boolean =>
  isAdmin(p) || p.projects === null || p.projects.some((project) => isVisibleTo(image, project))

/** Admin, or a token that may act for the image's owner project. */
export const actsForOwner = (p: Principal, image: Pick<ImageAccess, 'ownerProject'>): boolean => canActFor(p, image.ownerProject)

/**
 * images:write and the owner project: every change to an image, its versions and its credential.
 * The debug project and the projects the image is shared with may see it, never change it. The
 * caller has already answered 404 for an image the token cannot see.
 */
export function requireImageManager(p: Principal, image: { code: string; ownerProject: string }): void {
  requireScope(p, 'images:write')
  if (!actsForOwner(p, image)) {
    throw forbidden(
      'NOT_IMAGE_OWNER',
      `Image "${image.code}" belongs to project "${image.ownerProject}"; only tokens that may act for it (or an admin) can change it. This token acts for ${(p.projects ?? []).join(', ')}.`,
      { ownerProject: image.ownerProject }
    )
  }
}

/**
 * Whose resolutions of an image a token may read: all of them (admin and tokens of the owner
 * project), only those of its own projects that can see the image (a consumer, the debug project
 * included), or none (undefined: the image is answered as not found).
 */
export function readableLogProjects(p: Principal, image: ImageAccess): { all: true } | { projects: string[] } | undefined {
  if (canActFor(p, image.ownerProject)) return { all: true }
  const projects = (p.projects ?? []).filter((project) => isVisibleTo(image, project))
  return projects.length > 0 ? { projects } : undefined
}
