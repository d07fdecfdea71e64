import { forbidden } from '../http/problem.js'

export const SCOPES = ['admin', 'images:read', 'images:write', 'images:approve', 'credentials:write', 'resolve', 'pull-secrets'] as const
export type Scope = (typeof SCOPES)[number]

/** Who is calling: the verified token, as the rest of the app sees it. */
export interface Principal {
  tokenId: string
  name: string
  scopes: Scope[]
  /** null = may act for every project. */
  projects: string[] | null
  expiresAt: Date | null
}

export const isAdmin = (p: Principal): boolean => p.scopes.includes('admin')

/** admin holds every scope; otherwise the scope must be granted explicitly. */
export const hasScope = (p: Principal, scope: Scope): boolean => isAdmin(p) || p.scopes.includes(scope)

export const canActFor = (p: Principal, project: string): boolean => isAdmin(p) || p.projects === null || p.projects.includes(project)

/**
 * Throws a 403 problem unless the principal holds `scope` (and, when given, may act for `project`).
 * Authentication (401) has already happened by the time a handler calls this.
 */
export function requireScope(p: Principal, scope: Scope, project?: string): void {
  if (!hasScope(p, scope)) {
    throw forbidden(
      'INSUFFICIENT_SCOPE',
      `This operation needs the "${scope}" scope; token "${p.name}" has ${p.scopes.join(', ') || 'none'}. Ask an admin for a token with "${scope}".`,
      {
        requiredScope: scope
      }
    )
  }
  if (project !== undefined && !canActFor(p, project)) {
    throw forbidden(
      'PROJECT_NOT_ALLOWED',
      `Token "${p.name}" may not act for project "${project}"; it is limited to ${(p.projects ?? []).join(', ')}.`,
      {
        project
      }
    )
  }
}
