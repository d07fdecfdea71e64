// Real docker-registry 2.8: what an operator sees when an image cannot be pulled.
import t from 'tap'
import { createRigClient, pushImage, startRegistry } from '../helpers/registry/index.js'

t.test('no auth: missing tag, missing repository, unknown digest', async (t) => {
  const registry = await startRegistry({ auth: 'none' })
  t.teardown(registry.stop)
  const client = createRigClient([registry])
  t.teardown(() => client.close())
  await pushImage(registry, { repository: 'team/app', tag: '1.0', kind: 'oci-image' })

  const missingTag = await client.checkPullability(`${registry.host}/team/app:2.0`)
  t.match(missingTag, { ok: false, class: 'not_found', reason: `${registry.host}/team/app:2.0 was not found` })
  t.match(missingTag, { reason: /check the name and that the tag was pushed/ })
  const missingRepo = await client.checkPullability(`${registry.host}/team/nothing:1.0`)
  t.match(missingRepo, { ok: false, class: 'not_found', reason: /team\/nothing:1\.0 was not found/ })
  const missingDigest = await client.checkPullability(`${registry.host}/team/app@sha256:${'0'.repeat(64)}`)
  t.match(missingDigest, { ok: false, class: 'not_found' })
})

t.test('an invalid reference is refused before any request', async (t) => {
  const client = createRigClient([])
  t.teardown(() => client.close())
  const outcome = await client.checkPullability('127.0.0.1:1/Team/App:1')
  t.match(outcome, { ok: false, class: 'invalid', reason: /must be lower case; correct the image reference/ })
})

t.test('basic auth: wrong credentials, no credentials, missing image', async (t) => {
  const registry = await startRegistry({ auth: 'basic', users: [{ username: 'robot$team+ci', password: 'p@ss:w0rd' }] })
  t.teardown(registry.stop)
  const client = createRigClient([registry])
  t.teardown(() => client.close())
  const pushed = await pushImage(registry, { repository: 'team/app', tag: '1', kind: 'docker-v2' })

  const ok = await client.checkPullability(`${registry.host}/team/app:1`, {
    username: 'robot$team+ci',
    password: 'p@ss:w0rd',
    registries: registry.hosts
  })
  t.equal(ok.ok && ok.digest, pushed.digest, 'a Harbor-style robot name and a colon in the password work')
  const wrong = await client.checkPullability(`${registry.host}/team/app:1`, {
    username: 'robot$team+ci',
    password: 'wrong-password',
    registries: registry.hosts
  })
  t.match(wrong, { ok: false, class: 'unauthorized', reason: /for user "robot\$team\+ci" \(HTTP 401\)/ })
  t.notMatch(wrong.ok ? '' : wrong.reason, /wrong-password/, 'the password never appears in a reason')
  const anonymous = await client.checkPullability(`${registry.host}/team/app:1`)
  t.match(anonymous, { ok: false, class: 'unauthorized', reason: /refused anonymous access .*attach a credential/ })
  const missing = await client.checkPullability(`${registry.host}/team/app:9`, {
    username: 'robot$team+ci',
    password: 'p@ss:w0rd',
    registries: registry.hosts
  })
  t.match(missing, { ok: false, class: 'not_found' })
})

t.test('token auth: anonymous on a private repository, wrong credentials, missing image', async (t) => {
  const registry = await startRegistry({ auth: 'token' })
  t.teardown(registry.stop)
  const client = createRigClient([registry])
  t.teardown(() => client.close())
  await pushImage(registry, { repository: 'team/private', tag: '1', kind: 'oci-index' })
  const user = { ...registry.users[0]!, registries: registry.hosts }

  const anonymous = await client.checkPullability(`${registry.host}/team/private:1`)
  t.match(anonymous, {
    ok: false,
    class: 'unauthorized',
    reason: /refused anonymous access to .*team\/private:1 \(HTTP 401\): it does not exist or is private/
  })
  const wrong = await client.checkPullability(`${registry.host}/team/private:1`, {
    username: 'rig-user',
    password: 'not-it',
    registries: registry.hosts
  })
  t.match(wrong, {
    ok: false,
    class: 'unauthorized',
    reason: new RegExp(`token service at ${registry.tokenServer?.host ?? '?'} rejected the credential of user "rig-user"`)
  })
  t.notMatch(JSON.stringify(wrong), /not-it/)
  const missingRepo = await client.checkPullability(`${registry.host}/team/none:1`, user)
  t.match(missingRepo, { ok: false, class: 'not_found' })
  const missingTag = await client.checkPullability(`${registry.host}/team/private:2`, user)
  t.match(missingTag, { ok: false, class: 'not_found' })
})

t.test('a stopped registry is unavailable', async (t) => {
  const registry = await startRegistry({ auth: 'none' })
  t.teardown(registry.stop)
  await pushImage(registry, { repository: 'team/app', tag: '1', kind: 'oci-image' })
  await registry.stop()
  const client = createRigClient([registry])
  t.teardown(() => client.close())
  const outcome = await client.checkPullability(`${registry.host}/team/app:1`)
  t.match(outcome, {
    ok: false,
    class: 'unavailable',
    reason: `could not connect to ${registry.host} (connection refused) while checking ${registry.host}/team/app:1`
  })
})
