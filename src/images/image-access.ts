import { isAdmin, type Principal } from '../auth/scopes.js'

/** The fields of an image that decide who may manage and who may see it. */
export interface ImageAccess {
  ownerProject: string
  debugProject: string
  owners: string[]
  visibilityPublic: boolean
  visibilityProjects: string[]
}

/** Owners (by token name) may edit, publish, release, cancel and withdraw; admin always may. */
export const isImageOwner = (p: Principal, image: Pick<ImageAccess, 'owners'>): boolean => isAdmin(p) || image.owners.includes(p.name)

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
