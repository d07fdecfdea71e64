import FindMyWay, { type HTTPMethod } from 'find-my-way'
import type { FastifyInstance } from 'fastify'
import { ProblemError } from './problem.js'
import { sendProblem } from './error-handler.js'

// Fastify answers an unknown method on a known path with 404. A client deserves to learn that the
// path exists and which methods it takes, so we keep a second router of every route's path.
export function installNotFound(app: FastifyInstance): void {
  const paths = FindMyWay()
  const methodsByPath = new Map<string, Set<string>>()

  app.addHook('onRoute', (route) => {
    // A catch-all (CORS preflights take OPTIONS on every path) says nothing about which paths exist.
    if (route.url === '*') return
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    let known = methodsByPath.get(route.url)
    if (!known) {
      known = new Set()
      methodsByPath.set(route.url, known)
      const registered = known
      paths.on('GET', route.url, () => registered)
    }
    for (const m of methods) known.add(m)
  })

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '/'
    const match = paths.find('GET' as HTTPMethod, path)
    if (match) {
      const allowed = [...(match.handler as unknown as () => Set<string>)()].sort()
      return sendProblem(
        request,
        reply,
        new ProblemError({
          status: 405,
          code: 'METHOD_NOT_ALLOWED',
          detail: `${request.method} is not supported on ${path}; use ${allowed.join(', ')}.`,
          headers: { allow: allowed.join(', ') }
        })
      )
    }
    return sendProblem(
      request,
      reply,
      new ProblemError({
        status: 404,
        code: 'ROUTE_NOT_FOUND',
        detail: `No route ${request.method} ${path}; see /docs for the API reference.`
      })
    )
  })
}
