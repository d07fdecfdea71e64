import t from 'tap'
import { sql } from 'kysely'
import { build } from '../helpers/app.js'
import { KEY_A_ID, WITH_KEY } from './keys.js'

const PASSWORD = 'S3cr3t-robot-token-b4f1a2c9'
const BASE = '/v1/projects/payments-ci/credentials'
const HOSTS = ['harbor.example.com']

t.test('create, read, list: metadata only, never the password', async (t) => {
  const { call, app } = await build(t, { env: WITH_KEY })
  const res = await call({
    method: 'POST',
    url: BASE,
    payload: { registries: HOSTS, name: 'harbor-robot', username: 'robot$payments+ci', password: PASSWORD, description: 'pull only' }
  })
  t.equal(res.statusCode, 201)
  const created = res.json()
  t.equal(res.headers.location, `${BASE}/${created.id}`)
  t.same(Object.keys(created).sort(), [
    'createdAt',
    'createdBy',
    'description',
    'id',
    'name',
    'project',
    'registries',
    'secretRotatedAt',
    'updatedAt',
    'username'
  ])
  t.match(created, {
    project: 'payments-ci',
    name: 'harbor-robot',
    username: 'robot$payments+ci',
    description: 'pull only',
    createdBy: 'admin',
    secretRotatedAt: null
  })

  const one = await call({ method: 'GET', url: `${BASE}/${created.id}` })
  t.equal(one.statusCode, 200)
  t.same(one.json(), created)
  const list = await call({ method: 'GET', url: BASE })
  t.same(list.json(), { items: [created], nextCursor: null })
  t.same((await call({ method: 'GET', url: '/v1/projects/other-project/credentials' })).json(), { items: [], nextCursor: null })

  const row = await app.db.selectFrom('registryCredentials').selectAll().where('id', '=', created.id).executeTakeFirstOrThrow()
  t.equal(row.secretKeyId, KEY_A_ID, 'sealed with CREDENTIALS_KEY')
  t.same(await app.credentialSecrets.reveal(created.id), { username: 'robot$payments+ci', password: PASSWORD, registries: HOSTS })
})

t.test('registry usernames of every shape are accepted: AWS, _json_key, robot$project+name, e-mail', async (t) => {
  const { call, app } = await build(t, { env: WITH_KEY })
  const gcrKey = JSON.stringify(
    { type: 'service_account', private_key: '-----BEGIN PRIVATE KEY-----\nMIIE…\n-----END PRIVATE KEY-----\n' },
    null,
    2
  )
  for (const [name, username, password] of [
    ['ecr', 'AWS', 'eyJwYXlsb2FkIjoi'.repeat(100)],
    ['gcr', '_json_key', gcrKey],
    ['harbor', 'robot$payments+ci', PASSWORD],
    ['ghcr', 'ci.bot@example.com', 'ghp_abc']
  ] as const) {
    const res = await call({ method: 'POST', url: BASE, payload: { registries: HOSTS, name, username, password } })
    t.equal(res.statusCode, 201, name)
    t.same(await app.credentialSecrets.reveal(res.json().id), { username, password, registries: HOSTS }, `${name} decrypts exactly`)
  }
})

t.test('the secret is encrypted at rest and absent from every response and log line', async (t) => {
  const { call, app, logs, databaseUrl } = await build(t, { env: WITH_KEY })
  const created = (
    await call({ method: 'POST', url: BASE, payload: { registries: HOSTS, name: 'robot', username: 'robot$p+ci', password: PASSWORD } })
  ).json()
  const NEW_PASSWORD = 'rotated-Pa55-7d3e9f1b'
  const responses = [
    await call({ method: 'GET', url: BASE }),
    await call({ method: 'GET', url: `${BASE}/${created.id}` }),
    await call({ method: 'PATCH', url: `${BASE}/${created.id}`, payload: { password: NEW_PASSWORD } }),
    await call({ method: 'POST', url: BASE, payload: { registries: HOSTS, name: 'robot', username: 'robot$p+ci', password: PASSWORD } }),
    await call({ method: 'POST', url: BASE, payload: { registries: HOSTS, name: 'x', username: 'has space', password: PASSWORD } }),
    await call({
      method: 'POST',
      url: BASE,
      payload: { registries: HOSTS, name: 'x', username: 'u', password: PASSWORD, extra: PASSWORD }
    }),
    await call({
      method: 'POST',
      url: BASE,
      payload: `{"name":"x","username":"u","password":"${PASSWORD}" oops}`,
      headers: { 'content-type': 'application/json' }
    }),
    await call({ method: 'POST', url: BASE, payload: { registries: HOSTS, name: 'x', username: 'u', password: PASSWORD.repeat(1000) } }),
    await call({
      method: 'POST',
      url: BASE,
      token: 'cis_wrong-token-0000000000000000000000000',
      payload: { name: 'x', username: 'u', password: PASSWORD }
    })
  ]
  t.same(
    responses.map((r) => r.statusCode),
    [200, 200, 200, 409, 400, 400, 400, 400, 401]
  )
  for (const r of responses) {
    t.notOk(r.body.includes(PASSWORD) || r.body.includes(NEW_PASSWORD), `no secret in the ${r.statusCode} response`)
    t.notOk(JSON.stringify(r.headers).includes(PASSWORD), 'nor in its headers')
  }
  await app.credentialSecrets.reveal(created.id)
  const allLogs = logs.join('')
  t.ok(allLogs.includes('credential created'), 'the log was captured')
  t.notOk(allLogs.includes(PASSWORD), 'no password in the logs')
  t.notOk(allLogs.includes(NEW_PASSWORD), 'no rotated password in the logs')

  // Read the table directly, the way someone with a database dump would.
  const rows = await sql<{ row: string }>`select row_to_json(c)::text as row from registry_credentials c`.execute(app.db)
  t.equal(rows.rows.length, 1)
  const dump = rows.rows[0]?.row ?? ''
  t.notOk(dump.includes(PASSWORD) || dump.includes(NEW_PASSWORD), 'no plaintext in any column')
  const hex = (s: string) => Buffer.from(s).toString('hex')
  t.notOk(dump.includes(hex(NEW_PASSWORD)), 'not even as hex inside the bytea')
  const raw = await app.db.selectFrom('registryCredentials').select(['secretCiphertext']).executeTakeFirstOrThrow()
  t.equal(raw.secretCiphertext.length, 12 + 16 + NEW_PASSWORD.length, 'iv || tag || ciphertext')
  t.notOk(raw.secretCiphertext.includes(Buffer.from(NEW_PASSWORD)))
  t.ok(databaseUrl)
})

t.test('PATCH renames, describes and rotates; rotation re-seals and records when', async (t) => {
  const { call, app } = await build(t, { env: WITH_KEY })
  const created = (
    await call({
      method: 'POST',
      url: BASE,
      payload: { registries: HOSTS, name: 'robot', username: 'u1', password: 'p1', description: 'd' }
    })
  ).json()
  const before = await app.db.selectFrom('registryCredentials').select('secretCiphertext').executeTakeFirstOrThrow()

  const renamed = await call({ method: 'PATCH', url: `${BASE}/${created.id}`, payload: { name: 'robot-2', description: null } })
  t.equal(renamed.statusCode, 200)
  t.match(renamed.json(), { name: 'robot-2', description: null, username: 'u1', secretRotatedAt: null })
  t.same(await app.credentialSecrets.reveal(created.id), { username: 'u1', password: 'p1', registries: HOSTS })

  const rotated = await call({
    method: 'PATCH',
    url: `${BASE}/${created.id}`,
    payload: { username: 'u2', password: 'p2', registries: HOSTS }
  })
  t.equal(rotated.statusCode, 200)
  t.match(rotated.json(), { username: 'u2', secretRotatedAt: String })
  t.same(await app.credentialSecrets.reveal(created.id), { username: 'u2', password: 'p2', registries: HOSTS })
  const after = await app.db.selectFrom('registryCredentials').select('secretCiphertext').executeTakeFirstOrThrow()
  t.not(after.secretCiphertext.toString('hex'), before.secretCiphertext.toString('hex'))
})

t.test('bad input: a clear 4xx and nothing stored', async (t) => {
  const { call, app } = await build(t, { env: WITH_KEY })
  const ok = { name: 'robot', username: 'u', password: 'p', registries: HOSTS }
  const cases: [string, string, unknown, number, string][] = [
    ['malformed project id', '/v1/projects/Payments/credentials', ok, 400, 'VALIDATION_FAILED'],
    ['one-character project id', '/v1/projects/p/credentials', ok, 400, 'VALIDATION_FAILED'],
    ['unknown property', BASE, { ...ok, registry: 'x' }, 400, 'VALIDATION_FAILED'],
    ['missing password', BASE, { name: 'robot', username: 'u', registries: HOSTS }, 400, 'VALIDATION_FAILED'],
    ['empty password', BASE, { ...ok, password: '' }, 400, 'VALIDATION_FAILED'],
    ['password over 16 KiB', BASE, { ...ok, password: 'x'.repeat(16385) }, 400, 'VALIDATION_FAILED'],
    ['username with a colon', BASE, { ...ok, username: 'a:b' }, 400, 'VALIDATION_FAILED'],
    ['username with a control character', BASE, { ...ok, username: 'a\u0001b' }, 400, 'VALIDATION_FAILED'],
    ['name with a slash', BASE, { ...ok, name: 'a/b' }, 400, 'VALIDATION_FAILED'],
    ['description with NUL', BASE, { ...ok, description: 'a\u0000b' }, 400, 'VALIDATION_FAILED'],
    ['description over 1000', BASE, { ...ok, description: 'd'.repeat(1001) }, 400, 'VALIDATION_FAILED']
  ]
  for (const [what, url, payload, status, code] of cases) {
    const res = await call({ method: 'POST', url, payload })
    t.equal(res.statusCode, status, what)
    t.equal(res.json().code, code, what)
  }
  const problem = (await call({ method: 'POST', url: BASE, payload: { ...ok, registry: 'x' } })).json()
  t.match(problem.detail, 'body.registry is not a known property')
  t.equal(
    Number(
      (
        await app.db
          .selectFrom('registryCredentials')
          .select((eb) => eb.fn.countAll().as('n'))
          .executeTakeFirstOrThrow()
      ).n
    ),
    0,
    'nothing stored'
  )
})

t.test('names are unique per project (409), free in another project', async (t) => {
  const { call } = await build(t, { env: WITH_KEY })
  const body = { name: 'robot', username: 'u', password: 'p', registries: HOSTS }
  t.equal((await call({ method: 'POST', url: BASE, payload: body })).statusCode, 201)
  const dup = await call({ method: 'POST', url: BASE, payload: body })
  t.equal(dup.statusCode, 409)
  t.match(dup.json(), { code: 'CREDENTIAL_NAME_TAKEN', name: 'robot' })
  t.equal((await call({ method: 'POST', url: '/v1/projects/web-ci/credentials', payload: body })).statusCode, 201)
  const other = (await call({ method: 'POST', url: BASE, payload: { ...body, name: 'other' } })).json()
  const rename = await call({ method: 'PATCH', url: `${BASE}/${other.id}`, payload: { name: 'robot' } })
  t.equal(rename.statusCode, 409)
  t.equal(rename.json().code, 'CREDENTIAL_NAME_TAKEN')
})

t.test('PATCH and GET: unknown ids, other projects, empty and unknown bodies', async (t) => {
  const { call } = await build(t, { env: WITH_KEY })
  const created = (
    await call({ method: 'POST', url: BASE, payload: { registries: HOSTS, name: 'robot', username: 'u', password: 'p' } })
  ).json()
  const missing = '00000000-0000-4000-8000-000000000000'
  t.equal((await call({ method: 'GET', url: `${BASE}/${missing}` })).json().code, 'CREDENTIAL_NOT_FOUND')
  t.equal(
    (await call({ method: 'GET', url: `/v1/projects/web-ci/credentials/${created.id}` })).statusCode,
    404,
    'another project does not see it'
  )
  t.equal((await call({ method: 'PATCH', url: `/v1/projects/web-ci/credentials/${created.id}`, payload: { name: 'x' } })).statusCode, 404)
  t.equal((await call({ method: 'DELETE', url: `/v1/projects/web-ci/credentials/${created.id}` })).statusCode, 404)
  t.equal((await call({ method: 'GET', url: `${BASE}/not-a-uuid` })).statusCode, 400)
  t.equal((await call({ method: 'PATCH', url: `${BASE}/${created.id}`, payload: {} })).statusCode, 400, 'nothing to change')
  t.equal((await call({ method: 'PATCH', url: `${BASE}/${created.id}`, payload: { project: 'web-ci' } })).statusCode, 400)
  t.match((await call({ method: 'GET', url: `${BASE}/${created.id}` })).json(), { name: 'robot', project: 'payments-ci' }, 'unchanged')
})

t.test('scopes: credentials:write to change, images:read to read, limited to the project', async (t) => {
  const { call, token } = await build(t, { env: WITH_KEY })
  const writer = await token({ name: 'writer', scopes: ['credentials:write'], projects: ['payments-ci'] })
  const reader = await token({ name: 'reader', scopes: ['images:read'], projects: ['payments-ci'] })
  const elsewhere = await token({ name: 'elsewhere', scopes: ['credentials:write', 'images:read'], projects: ['web-ci'] })
  const body = { name: 'robot', username: 'u', password: 'p', registries: HOSTS }

  const created = await call({ method: 'POST', url: BASE, token: writer, payload: body })
  t.equal(created.statusCode, 201)
  t.equal(created.json().createdBy, 'writer')
  const id = created.json().id
  t.equal((await call({ method: 'GET', url: BASE, token: reader })).statusCode, 200)
  t.equal((await call({ method: 'GET', url: `${BASE}/${id}`, token: reader })).statusCode, 200)

  const denied = [
    await call({ method: 'POST', url: BASE, token: reader, payload: { ...body, name: 'r2' } }),
    await call({ method: 'PATCH', url: `${BASE}/${id}`, token: reader, payload: { password: 'x' } }),
    await call({ method: 'DELETE', url: `${BASE}/${id}`, token: reader }),
    await call({ method: 'GET', url: BASE, token: writer }),
    await call({ method: 'POST', url: BASE, token: elsewhere, payload: { ...body, name: 'r3' } }),
    await call({ method: 'GET', url: `${BASE}/${id}`, token: elsewhere })
  ]
  t.same(
    denied.map((r) => r.statusCode),
    [403, 403, 403, 403, 403, 403]
  )
  t.same(
    denied.map((r) => r.json().code),
    ['INSUFFICIENT_SCOPE', 'INSUFFICIENT_SCOPE', 'INSUFFICIENT_SCOPE', 'INSUFFICIENT_SCOPE', 'PROJECT_NOT_ALLOWED', 'PROJECT_NOT_ALLOWED']
  )
  t.equal((await call({ method: 'GET', url: BASE, token: null })).statusCode, 401)
  t.same(
    (await call({ method: 'GET', url: BASE })).json().items.map((c: { name: string }) => c.name),
    ['robot'],
    'nothing else was created'
  )
})

t.test('list is paged by name with a cursor', async (t) => {
  const { call } = await build(t, { env: WITH_KEY })
  for (const name of ['e', 'b', 'd', 'a', 'c'])
    await call({ method: 'POST', url: BASE, payload: { registries: HOSTS, name, username: 'u', password: 'p' } })
  const seen: string[] = []
  let cursor: string | null = null
  do {
    const res = await call({ method: 'GET', url: `${BASE}?limit=2${cursor ? `&cursor=${cursor}` : ''}` })
    t.equal(res.statusCode, 200)
    const page = res.json() as { items: { name: string }[]; nextCursor: string | null }
    t.ok(page.items.length <= 2)
    seen.push(...page.items.map((c) => c.name))
    cursor = page.nextCursor
  } while (cursor)
  t.same(seen, ['a', 'b', 'c', 'd', 'e'])
  t.equal((await call({ method: 'GET', url: `${BASE}?cursor=garbage` })).json().code, 'INVALID_CURSOR')
  t.equal((await call({ method: 'GET', url: `${BASE}?limit=101` })).statusCode, 400)
})

t.test('delete: 204 when unused; 409 naming the images and versions that use it', async (t) => {
  const { call, app } = await build(t, { env: WITH_KEY })
  const mk = async (name: string) =>
    (await call({ method: 'POST', url: BASE, payload: { registries: HOSTS, name, username: 'u', password: 'p' } })).json().id as string
  const unused = await mk('unused')
  const byImage = await mk('by-image')
  const byVersion = await mk('by-version')

  t.equal((await call({ method: 'DELETE', url: `${BASE}/${unused}` })).statusCode, 204)
  t.equal((await call({ method: 'GET', url: `${BASE}/${unused}` })).statusCode, 404)
  t.equal((await call({ method: 'DELETE', url: `${BASE}/${unused}` })).statusCode, 404)
  t.equal(await app.credentialSecrets.reveal(unused), undefined)

  const image = await call({
    method: 'POST',
    url: '/v1/images',
    payload: { code: 'node-20', name: 'Node 20', ownerProject: 'payments-ci', credentialId: byImage }
  })
  t.equal(image.statusCode, 201)
  await app.db
    .insertInto('imageVersions')
    .values({
      imageId: image.json().id,
      major: 1,
      minor: 2,
      patch: 3,
      status: 'testing',
      registry: 'r.example',
      repository: 'n/node',
      tag: '20',
      credentialId: byVersion,
      submittedBy: 'admin'
    })
    .execute()

  const refused = await call({ method: 'DELETE', url: `${BASE}/${byImage}` })
  t.equal(refused.statusCode, 409)
  t.match(refused.json(), { code: 'CREDENTIAL_IN_USE', usedBy: { images: ['node-20'], versions: [] } })
  t.match(refused.json().detail, 'image node-20')
  const refusedV = await call({ method: 'DELETE', url: `${BASE}/${byVersion}` })
  t.equal(refusedV.statusCode, 409)
  t.same(refusedV.json().usedBy, { images: [], versions: [{ image: 'node-20', version: '1.2.3' }] })
  t.match(refusedV.json().detail, 'version node-20 1.2.3')
  t.same(await app.credentialSecrets.reveal(byImage), { username: 'u', password: 'p', registries: HOSTS }, 'still there')
})

t.test('reveal: unknown and malformed ids are undefined; a ciphertext copied to another row does not open', async (t) => {
  const { call, app } = await build(t, { env: WITH_KEY })
  t.equal(await app.credentialSecrets.reveal('00000000-0000-4000-8000-000000000000'), undefined)
  t.equal(await app.credentialSecrets.reveal("x' or 1=1"), undefined)
  const a = (await call({ method: 'POST', url: BASE, payload: { registries: HOSTS, name: 'a', username: 'ua', password: 'pa' } })).json().id
  const b = (await call({ method: 'POST', url: BASE, payload: { registries: HOSTS, name: 'b', username: 'ub', password: 'pb' } })).json().id
  const rowA = await app.db.selectFrom('registryCredentials').select('secretCiphertext').where('id', '=', a).executeTakeFirstOrThrow()
  await app.db.updateTable('registryCredentials').set({ secretCiphertext: rowA.secretCiphertext }).where('id', '=', b).execute()
  await t.rejects(app.credentialSecrets.reveal(b), { name: 'CredentialDecryptError' })
  t.same(await app.credentialSecrets.reveal(a), { username: 'ua', password: 'pa', registries: HOSTS })
})

t.test('delete racing an image that takes the credential: the RESTRICT foreign key makes it the same 409', async (t) => {
  const { call, app } = await build(t, { env: WITH_KEY })
  const id = (await call({ method: 'POST', url: BASE, payload: { registries: HOSTS, name: 'raced', username: 'u', password: 'p' } })).json()
    .id
  let release = () => {}
  const gate = new Promise<void>((resolve) => (release = resolve))
  let inserted = () => {}
  const insertedYet = new Promise<void>((resolve) => (inserted = resolve))
  // An image referencing the credential, inserted but not yet committed while the DELETE runs:
  // the usage check cannot see it, the DELETE then waits on the row and fails with 23503.
  const writer = app.db.transaction().execute(async (trx) => {
    await trx
      .insertInto('images')
      .values({
        code: 'racer',
        name: 'Racer',
        ownerProject: 'payments-ci',
        debugProject: 'payments-ci',
        credentialId: id,
        createdBy: 'admin'
      })
      .execute()
    inserted()
    await gate
  })
  await insertedYet
  const deleting = call({ method: 'DELETE', url: `${BASE}/${id}` })
  await new Promise((resolve) => setTimeout(resolve, 300))
  release()
  await writer
  const res = await deleting
  t.equal(res.statusCode, 409)
  t.match(res.json(), { code: 'CREDENTIAL_IN_USE', usedBy: { images: ['racer'] } })
  t.same(await app.credentialSecrets.reveal(id), { username: 'u', password: 'p', registries: HOSTS })
})
