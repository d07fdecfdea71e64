import t from 'tap'
import { build } from '../helpers/app.js'
import { createImage, getVersion, publish, push, registryEnv, startTestRegistry, submit, versionsUrl, waitForCheck } from './fixtures.js'
import type { Version } from '../../src/versions/versions.schemas.js'
import { createBoundCredential } from '../credentials/bound-credential.js'

t.test('submitting versions', async (t) => {
  const registry = await startTestRegistry(t)
  for (const tag of ['v1', 'v2', 'v3', 'v4', 'v5', 'v6']) await push(registry, 'team/app', tag)
  const app = await build(t, { env: registryEnv(registry) })
  const at = { registry: registry.host, repository: 'team/app' }

  t.test('the first version is 1.0.0, whatever the release type', async (t) => {
    await createImage(app, { code: 'first-one' })
    const res = await submit(app, 'first-one', {
      ...at,
      tag: 'v1',
      releaseType: 'major',
      dockerfile: 'FROM scratch\n',
      releaseNotes: 'First.'
    })
    t.equal(res.statusCode, 202)
    t.equal(res.headers.location, '/v1/images/first-one/versions/1.0.0')
    const v = res.json<Version>()
    t.match(v, {
      imageCode: 'first-one',
      version: '1.0.0',
      major: 1,
      minor: 0,
      patch: 0,
      releaseType: null,
      status: 'checking',
      allowedActions: ['cancel'],
      registry: registry.host,
      repository: 'team/app',
      tag: 'v1',
      reference: `${registry.host}/team/app:v1`,
      digest: null,
      pinnedReference: null,
      credentialId: null,
      dockerfile: 'FROM scratch\n',
      releaseNotes: 'First.',
      submittedBy: 'admin'
    })
    const stored = await getVersion(app, 'first-one', '1.0.0')
    t.equal(stored.dockerfile, 'FROM scratch\n')
  })

  t.test('later versions bump the highest non-cancelled one; a release type is required', async (t) => {
    await createImage(app, { code: 'bumps' })
    t.equal((await publish(app, 'bumps', { ...at, tag: 'v1' })).version, '1.0.0')

    const missing = await submit(app, 'bumps', { ...at, tag: 'v2' })
    t.equal(missing.statusCode, 422)
    t.match(missing.json(), { code: 'RELEASE_TYPE_REQUIRED', lines: [1] })
    t.match(missing.json().detail, /1\.x \(highest 1\.0\.0\)/)

    t.equal((await publish(app, 'bumps', { ...at, tag: 'v2', releaseType: 'patch' })).version, '1.0.1')
    t.equal((await publish(app, 'bumps', { ...at, tag: 'v3', releaseType: 'minor' })).version, '1.1.0')
    t.equal((await publish(app, 'bumps', { ...at, tag: 'v4', releaseType: 'major' })).version, '2.0.0')
  })

  t.test('invalid references and bodies are 400 and change nothing', async (t) => {
    await createImage(app, { code: 'invalid-refs' })
    const cases: [Record<string, unknown>, string][] = [
      [{ repository: 'Team/App', tag: 'v1' }, 'body.repository'],
      [{ repository: 'team//app', tag: 'v1' }, 'body.repository'],
      [{ repository: 'team/app-', tag: 'v1' }, 'body.repository'],
      [{ repository: 'team/app', tag: '-v1' }, 'body.tag'],
      [{ repository: 'team/app', tag: 'x'.repeat(129) }, 'body.tag'],
      [{ repository: 'team/app', tag: 'v1', registry: 'https://registry.example.com' }, 'body.registry'],
      [{ repository: 'team/app', tag: 'v1', registry: 'registry.example.com/ns' }, 'body.registry'],
      [{ repository: 'a/'.repeat(130) + 'b', tag: 'v1' }, 'body.repository'],
      [{ repository: 'team/app', tag: 'v1', version: '1.2.3' }, 'body.version'],
      [{ repository: 'team/app', tag: 'v1', releaseType: 'huge' }, 'body.releaseType'],
      [{ repository: 'team/app', tag: 'v1', line: 0 }, 'body.line'],
      [{ repository: 'team/app', tag: 'v1', credentialId: 'not-a-uuid' }, 'body.credentialId'],
      [{ repository: 'team/app', tag: 'v1', dockerfile: 'FROM x\u0000' }, 'body.dockerfile'],
      [{ tag: 'v1' }, 'body']
    ]
    for (const [payload, path] of cases) {
      const res = await submit(app, 'invalid-refs', payload)
      t.equal(res.statusCode, 400, JSON.stringify(payload).slice(0, 80))
      t.equal(res.json().code, 'VALIDATION_FAILED')
      t.ok(
        res.json().errors.some((e: { path: string }) => e.path.startsWith(path)),
        `${path} is named`
      )
    }
    const long = await submit(app, 'invalid-refs', { registry: 'r.example.com', repository: 'a'.repeat(250), tag: 'v1' })
    t.equal(long.statusCode, 400)
    t.match(long.json(), { code: 'INVALID_IMAGE_REFERENCE', detail: /longer than 255/ })
    const port = await submit(app, 'invalid-refs', { registry: 'r.example.com:99999', repository: 'team/app', tag: 'v1' })
    t.equal(port.statusCode, 400, 'a port no client can connect to is refused at submission, not retried as an outage')
    t.match(port.json(), { code: 'INVALID_IMAGE_REFERENCE', detail: /not a valid registry host/ })
    const multibyte = await submit(app, 'invalid-refs', { repository: 'team/app', tag: 'v1', dockerfile: '€'.repeat(100_000) })
    t.equal(multibyte.statusCode, 400)
    t.equal(multibyte.json().code, 'DOCKERFILE_TOO_LARGE')
    const notes = await submit(app, 'invalid-refs', { repository: 'team/app', tag: 'v1', releaseNotes: 'x'.repeat(64 * 1024 + 1) })
    t.equal(notes.statusCode, 400)
    const list = await app.call({ method: 'GET', url: versionsUrl('invalid-refs') })
    t.same(list.json().items, [], 'nothing was stored')
  })

  t.test('line N bumps that major line; major with a line and unknown lines are refused', async (t) => {
    await createImage(app, { code: 'backports' })
    await publish(app, 'backports', { ...at, tag: 'v1' })
    await publish(app, 'backports', { ...at, tag: 'v2', releaseType: 'major' })
    t.equal(
      (await publish(app, 'backports', { ...at, tag: 'v3', releaseType: 'patch', line: 1 })).version,
      '1.0.1',
      'a fix for 1.x while 2.x exists'
    )
    t.equal((await publish(app, 'backports', { ...at, tag: 'v4', releaseType: 'minor', line: 1 })).version, '1.1.0')
    t.equal(
      (await publish(app, 'backports', { ...at, tag: 'v5', releaseType: 'patch' })).version,
      '2.0.1',
      'without a line, the highest version'
    )

    const major = await submit(app, 'backports', { ...at, tag: 'v6', releaseType: 'major', line: 1 })
    t.equal(major.statusCode, 400)
    t.equal(major.json().code, 'MAJOR_WITH_LINE')
    const unknown = await submit(app, 'backports', { ...at, tag: 'v6', releaseType: 'patch', line: 3 })
    t.equal(unknown.statusCode, 422)
    t.match(unknown.json(), { code: 'LINE_NOT_FOUND', lines: [1, 2], detail: /1\.x \(highest 1\.1\.0\), 2\.x \(highest 2\.0\.1\)/ })
    const list = await app.call({ method: 'GET', url: `${versionsUrl('backports')}?status=checking` })
    t.same(list.json().items, [], 'refused submissions stored nothing')
  })

  t.test('a registry/repository:tag released for this image is refused', async (t) => {
    await createImage(app, { code: 'same-tag' })
    await publish(app, 'same-tag', { ...at, tag: 'v1' })
    const res = await submit(app, 'same-tag', { ...at, tag: 'v1', releaseType: 'patch' })
    t.equal(res.statusCode, 409)
    t.match(res.json(), { code: 'REFERENCE_ALREADY_RELEASED', releasedVersion: '1.0.0' })
    await createImage(app, { code: 'other-image' })
    t.equal((await submit(app, 'other-image', { ...at, tag: 'v1' })).statusCode, 202, 'another image may use the same tag')
    const withdrawn = await app.call({ method: 'POST', url: `${versionsUrl('same-tag')}/1.0.0/withdraw`, payload: { reason: 'broken' } })
    t.equal(withdrawn.statusCode, 200)
    t.equal(
      (await submit(app, 'same-tag', { ...at, tag: 'v1', releaseType: 'patch' })).statusCode,
      202,
      'allowed again once the release is withdrawn'
    )
  })

  t.test('the credential: the image default, null for anonymous, one of the owner project, never another project', async (t) => {
    const own = await createBoundCredential(app, 'payments-ci', { username: 'robot', password: 'secret-1' }, [registry.host])
    const other = await createBoundCredential(app, 'web-ci', { username: 'robot', password: 'secret-2' }, [registry.host])
    await createImage(app, { code: 'with-cred', credentialId: own })

    const byDefault = await submit(app, 'with-cred', { ...at, tag: 'v1' })
    t.equal(byDefault.json().credentialId, own)
    await app.call({ method: 'POST', url: `${versionsUrl('with-cred')}/1.0.0/cancel` })

    const anonymous = await submit(app, 'with-cred', { ...at, tag: 'v1', credentialId: null })
    t.equal(anonymous.json().credentialId, null)
    await app.call({ method: 'POST', url: `${versionsUrl('with-cred')}/1.0.0/cancel` })

    const wrong = await submit(app, 'with-cred', { ...at, tag: 'v1', credentialId: other })
    t.equal(wrong.statusCode, 422)
    t.match(wrong.json(), { code: 'CREDENTIAL_NOT_IN_OWNER_PROJECT', credentialProject: 'web-ci', ownerProject: 'payments-ci' })
    const unknown = await submit(app, 'with-cred', { ...at, tag: 'v1', credentialId: '00000000-0000-4000-8000-000000000000' })
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.json().code, 'CREDENTIAL_NOT_FOUND')
    const explicit = await submit(app, 'with-cred', { ...at, tag: 'v1', credentialId: own })
    t.equal(explicit.statusCode, 202)
    t.equal(explicit.json().credentialId, own)
  })

  t.test('the credential must be bound to the version registry; a single-label registry is refused', async (t) => {
    const bound = await createBoundCredential(app, 'payments-ci', { username: 'robot', password: 'bound-Secret-1' }, [registry.host])
    const elsewhere = await createBoundCredential(app, 'payments-ci', { username: 'robot', password: 'other-Secret-2' }, [
      'harbor.example.com'
    ])
    await createImage(app, { code: 'bound-cred', credentialId: elsewhere })
    const versions = async () => (await app.call({ method: 'GET', url: versionsUrl('bound-cred') })).json().items.length

    const byDefault = await submit(app, 'bound-cred', { ...at, tag: 'v1' })
    t.equal(byDefault.statusCode, 400)
    t.match(byDefault.json(), {
      code: 'CREDENTIAL_REGISTRY_MISMATCH',
      credentialId: elsewhere,
      credentialRegistries: ['harbor.example.com'],
      registry: registry.host
    })
    t.match(
      byDefault.json().detail,
      /The image's credential .* is bound to harbor\.example\.com, not to .*"credentialId": null for an anonymous pull.*add ".*" to this credential's registries with PATCH/
    )
    const explicit = await submit(app, 'bound-cred', { registry: '127.0.0.1:1', repository: 'team/app', tag: 'v1', credentialId: bound })
    t.match(explicit.json(), { code: 'CREDENTIAL_REGISTRY_MISMATCH', credentialRegistries: [registry.host], registry: '127.0.0.1:1' })
    t.equal(await versions(), 0, 'nothing recorded')

    const single = await submit(app, 'bound-cred', { registry: 'harbor', repository: 'team/app', tag: 'v1', credentialId: null })
    t.equal(single.statusCode, 400)
    t.match(single.json(), {
      code: 'INVALID_IMAGE_REFERENCE',
      detail:
        /"harbor" is a single name without a dot or port; use the registry's full host name, e.g\. harbor\.example\.com, or host:port; for Docker Hub use docker\.io/
    })
    t.equal(await versions(), 0)

    t.equal((await submit(app, 'bound-cred', { ...at, tag: 'v1', credentialId: bound })).statusCode, 202, 'a bound credential')
    t.notOk(
      app.logs.some((line) => line.includes('bound-Secret-1') || line.includes('other-Secret-2')),
      'no password in the logs'
    )
  })

  t.test('one version in progress: a second submission names it', async (t) => {
    await createImage(app, { code: 'in-progress' })
    t.equal((await submit(app, 'in-progress', { ...at, tag: 'v1' })).statusCode, 202)
    const second = await submit(app, 'in-progress', { ...at, tag: 'v2', releaseType: 'minor' })
    t.equal(second.statusCode, 409)
    t.match(second.json(), { code: 'VERSION_IN_PROGRESS', inProgressVersion: '1.0.0', currentStatus: /checking|testing/ })
    await waitForCheck(app, 'in-progress', '1.0.0')
    const third = await submit(app, 'in-progress', { ...at, tag: 'v2', releaseType: 'minor' })
    t.match(third.json(), { code: 'VERSION_IN_PROGRESS', currentStatus: 'testing', allowedActions: ['recheck', 'release', 'cancel'] })
  })

  t.test('unknown image, missing scope, not an owner, invisible image', async (t) => {
    await createImage(app, { code: 'guarded' })
    const unknown = await submit(app, 'no-such-image', { ...at, tag: 'v1' })
    t.equal(unknown.statusCode, 404)
    t.equal(unknown.json().code, 'IMAGE_NOT_FOUND')

    const reader = await app.token({ name: 'reader', scopes: ['images:read'] })
    const readOnly = await submit(app, 'guarded', { ...at, tag: 'v1' }, undefined, reader)
    t.equal(readOnly.statusCode, 403)
    t.equal(readOnly.json().code, 'INSUFFICIENT_SCOPE')

    // The debug project sees the image but does not own it.
    const debugger_ = await app.token({ name: 'publisher', scopes: ['images:write', 'images:read'], projects: ['payments-sandbox'] })
    const notOwner = await submit(app, 'guarded', { ...at, tag: 'v1' }, undefined, debugger_)
    t.equal(notOwner.statusCode, 403)
    t.equal(notOwner.json().code, 'NOT_IMAGE_OWNER')

    const elsewhere = await app.token({ name: 'admin', scopes: ['images:write', 'images:read'], projects: ['web-ci'] })
    const invisible = await submit(app, 'guarded', { ...at, tag: 'v1' }, undefined, elsewhere)
    t.equal(invisible.statusCode, 404, 'an owner name does not reveal an image the token cannot see')
    t.equal(invisible.json().code, 'IMAGE_NOT_FOUND')

    const anonymous = await app.call({ method: 'POST', url: versionsUrl('guarded'), payload: { ...at, tag: 'v1' }, token: null })
    t.equal(anonymous.statusCode, 401)

    const publisher = await app.token({
      name: 'publisher',
      scopes: ['images:write', 'images:read'],
      projects: ['payments-ci', 'payments-sandbox']
    })
    await createImage(app, { code: 'owned', token: publisher })
    const owned = await submit(app, 'owned', { ...at, tag: 'v1' }, undefined, publisher)
    t.equal(owned.statusCode, 202)
    t.equal(owned.json().submittedBy, 'publisher')
    const list = await app.call({ method: 'GET', url: versionsUrl('guarded') })
    t.same(list.json().items, [], 'refused submissions stored nothing')
  })

  t.test('every submission is in the audit trail with its request id', async (t) => {
    await createImage(app, { code: 'audited' })
    const res = await submit(app, 'audited', { ...at, tag: 'v1' }, { 'x-request-id': 'req-audited-1' })
    t.equal(res.statusCode, 202)
    const events = await app.app.db
      .selectFrom('imageEvents')
      .innerJoin('images', 'images.id', 'imageEvents.imageId')
      .select(['action', 'actor', 'version', 'details', 'requestId'])
      .where('images.code', '=', 'audited')
      .where('action', '=', 'version.submitted')
      .execute()
    t.same(events, [
      {
        action: 'version.submitted',
        actor: 'admin',
        version: '1.0.0',
        details: { to: 'checking', releaseType: null, line: null, reference: `${registry.host}/team/app:v1`, credentialId: null },
        requestId: 'req-audited-1'
      }
    ])
  })
})
