import type { Principal } from '../auth/scopes.js'
import { requireScope } from '../auth/scopes.js'
import type { Db } from '../db/schema.js'
import { notFound } from '../http/problem.js'
import { readableLogProjects } from '../images/image-access.js'
import { findImageByCode, type ImageRecord } from '../images/images.repository.js'

/**
 * The image and the projects whose log rows this token may read (404 when it may read none): the
 * log is readable by whom the image is readable today. The owner project may narrow to any consumer
 * with `project`; a consumer only to one of its own.
 */
export async function readableLog(
  db: Db,
  p: Principal,
  code: string,
  project: string | undefined
): Promise<{ image: ImageRecord; projects: string[] | null }> {
  requireScope(p, 'images:read')
  const image = await findImageByCode(db, code)
  const readable = image && readableLogProjects(p, image)
  if (!image || !readable)
    throw notFound('IMAGE_NOT_FOUND', `No image "${code}" is visible to token "${p.name}". Check the code in GET /v1/images.`, {
      image: code
    })
  const allowed = 'all' in readable ? null : readable.projects
  if (project === undefined) return { image, projects: allowed }
  // A consumer narrows to one of its own projects only; say so rather than answer an empty page.
  if (allowed && !allowed.includes(project)) requireScope(p, 'images:read', project)
  return { image, projects: [project] }
}
