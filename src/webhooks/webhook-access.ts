// Who may see and who may manage a webhook subscription. A project's subscription is its
// publishers' (images:write for the project); a catalog-wide one (project null) hears of every
// image, so it is the admins' alone. Subscriptions a token may not see answer 404, never 403.
import { canActFor, isAdmin, requireScope, type Principal } from '../auth/scopes.js'
import { badRequest, notFound } from '../http/problem.js'
import type { SubscriptionFilter } from './webhooks.repository.js'

export const canSeeSubscription = (p: Principal, subscription: { project: string | null }): boolean =>
  subscription.project === null ? isAdmin(p) : canActFor(p, subscription.project)

export const webhookNotFound = (id: string) =>
  notFound('WEBHOOK_NOT_FOUND', `No webhook subscription with id ${id} is visible to this token.`)

/** The subscriptions a token may list: admin every one, others those of their projects. */
export const visibleSubscriptions = (p: Principal): Omit<SubscriptionFilter, 'project'> =>
  isAdmin(p) ? { catalogWide: true, projects: null } : { catalogWide: false, projects: p.projects }

/**
 * The project a new subscription is for: the one asked for (images:write for it), catalog-wide for
 * null (admin), and when omitted the token's only project, or catalog-wide for an admin.
 */
export function subscriptionProject(p: Principal, asked: string | null | undefined): string | null {
  if (asked === null) {
    requireScope(p, 'admin')
    return null
  }
  if (asked !== undefined) {
    requireScope(p, 'images:write', asked)
    return asked
  }
  requireScope(p, 'images:write')
  if (isAdmin(p)) return null
  const only = p.projects?.length === 1 ? p.projects[0] : undefined
  if (only === undefined) {
    throw badRequest(
      'WEBHOOK_PROJECT_REQUIRED',
      `Token "${p.name}" acts for ${p.projects === null ? 'every project' : p.projects.join(', ')}: say which project's images the subscription hears of with "project".`,
      { projects: p.projects }
    )
  }
  return only
}
