import t from 'tap'
import { decodeCursor, encodeCursor } from '../../src/http/cursor.js'
import { build } from '../helpers/app.js'
import { insertImage } from '../resolve/fixtures.js'

const UUID = '0b7c9a1e-4f7d-4c36-9f43-4a8f0e2c1d55'
const forge = (...values: unknown[]) => Buffer.from(JSON.stringify(values)).toString('base64url')

t.test('decodeCursor: each kind as strict as the column it is compared with', async (t) => {
  const rejects = (cursor: string, shape: Parameters<typeof decodeCursor>[1], why: string) =>
    t.throws(() => decodeCursor(cursor, shape), { status: 400, code: 'INVALID_CURSOR' }, why)
  t.same(decodeCursor(encodeCursor([1, 2, 3, '2026-11-26T18:00:00.000Z', UUID]), ['int', 'int', 'int', 'date', 'uuid'] as const), [
    1,
    2,
    3,
    new Date('2026-11-26T18:00:00.000Z'),
    UUID
  ])
  t.same(decodeCursor(forge('2026-11-26T18:00:00.123456Z', null), ['timestamp', 'timestamp|null'] as const), [
    '2026-11-26T18:00:00.123456Z',
    null
  ])
  rejects(forge(1.5), ['int'], 'a fraction')
  rejects(forge(2 ** 31), ['int'], 'beyond int4')
  rejects(forge(-1), ['id'], 'negative')
  rejects(forge(2 ** 63), ['id'], 'beyond safe integers')
  rejects(forge('x'), ['uuid'], 'not a uuid')
  rejects(forge(`urn:uuid:${UUID}`), ['uuid'], 'a urn')
  rejects(forge('a\u0000b'), ['string'], 'NUL')
  rejects(forge('a\u0000b'), ['string|null'], 'NUL, nullable')
  rejects(forge('0000-01-01T00:00:00Z'), ['timestamp'], 'year 0')
  rejects(forge('2024-02-31T00:00:00Z'), ['timestamp'], 'February 31st')
  rejects(forge('-100000-01-01T00:00:00Z'), ['date'], 'an expanded year')
  rejects(forge('1'), ['date'], 'a bare number as a date')
  rejects(forge('2026-11-26T18:00:00+01:00'), ['date'], 'not UTC as issued')
})

t.test('every listing answers a forged cursor with 400 INVALID_CURSOR, never a failed cast', async (t) => {
  const { app, call } = await build(t)
  await insertImage(app.db, 'tools', { visibilityPublic: true })
  const cases: Array<[string, string]> = [
    ['/v1/tokens', forge('2024-01-01T00:00:00Z', 'x')],
    ['/v1/tokens', forge('0000-01-01T00:00:00Z', UUID)],
    ['/v1/tokens', forge('2024-02-31T00:00:00Z', UUID)],
    ['/v1/images', forge('a\u0000')],
    ['/v1/images?sort=lastRelease', forge(null, 'a\u0000')],
    ['/v1/images?sort=lastRelease', forge('0000-01-01T00:00:00.000000Z', 'a')],
    ['/v1/images?sort=lastRelease', forge('2024-02-31T00:00:00.000000Z', 'a')],
    ['/v1/images/tools/events', forge(1.5)],
    ['/v1/images/tools/versions', forge(1, 0, 0, '2020-01-01T00:00:00.000Z', 'x')],
    ['/v1/images/tools/versions', forge(1.5, 0, 0, '2020-01-01T00:00:00.000Z', UUID)],
    ['/v1/images/tools/versions', forge(1e10, 0, 0, '2020-01-01T00:00:00.000Z', UUID)],
    ['/v1/images/tools/versions', forge(1, 0, 0, '-271821-04-20T00:00:00.000Z', UUID)],
    ['/v1/images/tools/resolutions', forge('2020-01-01T00:00:00.000Z', 1.5)],
    ['/v1/images/tools/resolutions', forge('2020-01-01T00:00:00.000Z', 2 ** 63)],
    ['/v1/images/tools/resolutions', forge('-100000-01-01T00:00:00Z', 1)],
    ['/v1/projects/payments-ci/credentials', forge('a\u0000')]
  ]
  for (const [path, cursor] of cases) {
    const res = await call({ method: 'GET', url: `${path}${path.includes('?') ? '&' : '?'}cursor=${cursor}` })
    t.equal(res.statusCode, 400, `${path} ${Buffer.from(cursor, 'base64url').toString()}`)
    t.equal(res.json().code, 'INVALID_CURSOR')
  }
})
