import t from 'tap'
import { readFileSync } from 'node:fs'
import { build } from '../helpers/app.js'

interface Operation {
  operationId?: string
  tags?: string[]
  summary?: string
  security?: unknown[]
  requestBody?: { content: Record<string, { schema?: unknown; example?: unknown; examples?: unknown }> }
  responses: Record<
    string,
    { description?: string; content?: Record<string, { schema?: { $ref?: string }; example?: unknown; examples?: unknown }> }
  >
}

const committed = JSON.parse(readFileSync(new URL('../../openapi/openapi.json', import.meta.url), 'utf8'))

// An example on the media type, or on the named component the media type refers to.
function hasExample(media: { schema?: { $ref?: string; examples?: unknown }; example?: unknown; examples?: unknown } | undefined): boolean {
  if (!media) return false
  if (media.example !== undefined || media.examples !== undefined || media.schema?.examples !== undefined) return true
  const name = media.schema?.$ref?.replace('#/components/schemas/', '')
  return name !== undefined && committed.components.schemas[name]?.examples !== undefined
}

t.test('the committed contract is what the code generates (run `npm run openapi` when this fails)', async (t) => {
  const { app } = await build(t)
  await app.ready()
  t.same(JSON.parse(JSON.stringify(app.swagger())), committed)
})

t.test('every operation is complete: id, tag, summary, examples, documented problems', async (t) => {
  const ids = new Set<string>()
  const tags = new Set((committed.tags as { name: string }[]).map((tag) => tag.name))
  for (const [path, item] of Object.entries(committed.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(item)) {
      const where = `${method.toUpperCase()} ${path}`
      t.ok(op.operationId, `${where} has an operationId`)
      t.notOk(ids.has(op.operationId ?? ''), `${where} operationId is unique`)
      ids.add(op.operationId ?? '')
      t.ok(op.tags?.length && op.tags.every((tag) => tags.has(tag)), `${where} has declared tags`)
      t.ok(op.summary, `${where} has a summary`)
      const isPublic = Array.isArray(op.security) && op.security.length === 0
      if (!isPublic) t.ok(op.responses['401'], `${where} documents 401`)
      for (const [status, response] of Object.entries(op.responses)) {
        t.ok(response.description && response.description !== 'Default Response', `${where} ${status} has a description`)
        if (Number(status) >= 400) {
          t.equal(
            response.content?.['application/problem+json']?.schema?.$ref,
            '#/components/schemas/Problem',
            `${where} ${status} is a problem`
          )
        }
      }
      const body = op.requestBody?.content['application/json']
      if (op.requestBody) t.ok(body?.example ?? body?.examples, `${where} has request examples`)
      const success = Object.entries(op.responses).find(([s]) => s.startsWith('2') && s !== '204')
      // JSON, or the one media type of a route that answers something else (/metrics: text/plain).
      const media = success?.[1].content?.['application/json'] ?? Object.values(success?.[1].content ?? {})[0]
      if (success) t.ok(hasExample(media), `${where} ${success[0]} has an example`)
    }
  }
})
