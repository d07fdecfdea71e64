// An audit trail holding an event whose details predate the contract's per-action types (written by
// an earlier version of the service) is still listed, as stored, rather than failing with 500.
import t from 'tap'
import { ADMIN_TOKEN, build } from '../helpers/app.js'

t.test('an event with details of an older shape is listed as stored', async (t) => {
  const test = await build(t)
  t.equal(
    (await test.call({ method: 'POST', url: '/v1/images', payload: { code: 'legacy-tools', name: 'Legacy', ownerProject: 'p1' } }))
      .statusCode,
    201
  )
  const image = await test.app.db.selectFrom('images').select(['id', 'code']).executeTakeFirstOrThrow()
  await test.app.db
    .insertInto('imageEvents')
    .values({
      imageId: image.id,
      imageCode: image.code,
      action: 'image.associated',
      actor: 'an earlier release',
      actorTokenId: null,
      actorProjects: null,
      version: null,
      versionId: null,
      digest: null,
      ownerProject: 'p1',
      tag: null,
      pinnedReference: null,
      platforms: null,
      details: JSON.stringify({ code: 'legacy-tools' }),
      requestId: null
    })
    .execute()
  // Straight inject: the suite's contract check would (rightly) refuse the old shape.
  const res = await test.app.inject({
    method: 'GET',
    url: '/v1/images/legacy-tools/events',
    headers: { authorization: `Bearer ${ADMIN_TOKEN}` }
  })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.same(
    res.json().items.map((e: { details: unknown }) => e.details),
    [{ code: 'legacy-tools' }, res.json().items[1].details]
  )
})
