/**
 * Property-based fuzzing of every operation in the committed OpenAPI document (issue 12): mostly
 * hostile requests with tokens of every kind. Every answer must be below 500, listed for its
 * operation, and, when an error, an application/problem+json that fits the document's Problem.
 * No write may succeed (the fuzzer spoils any request that could be a valid, authorised write),
 * and the fixture image must read the same afterwards.
 *
 *   FUZZ_SEED=123 npx tap test/foundation/contract-fuzz.test.ts     reproduce a run
 *   FUZZ_RUNS=200 FUZZ_BUDGET_MS=120000 …                             fuzz harder, locally
 *   FUZZ_TRACE=submitVersion …                                        print each request and answer of these operations
 */
import t from 'tap'
import fc from 'fast-check'
import { ADMIN_TOKEN, build } from '../helpers/app.js'
import { pushImage, startRegistry, trustedHosts } from '../helpers/registry/index.js'
import { listOperations, readDocument } from '../helpers/contract/openapi-operations.js'
import { contractValidator } from '../helpers/contract/problem-validator.js'
import { finalizeRequest, requestPlanArbitrary, type TokenKind } from '../helpers/contract/request-arbitraries.js'
import { breaches, FindingLog } from '../helpers/contract/contract-findings.js'
import { createFuzzFixture, fixtureSnapshot, REPOSITORY } from '../helpers/contract/fuzz-fixture.js'

const SEED = Number(process.env.FUZZ_SEED ?? 20261201)
const RUNS = Number(process.env.FUZZ_RUNS ?? 100)
// the whole fuzz loop; fixture set-up (a registry, two checks) comes on top, about 3 s
const BUDGET_MS = Number(process.env.FUZZ_BUDGET_MS ?? 15_000)
const TRACE = new Set((process.env.FUZZ_TRACE ?? '').split(',').filter(Boolean))

t.test('every operation of the contract, fuzzed: no 5xx, errors as documented, the fixture unchanged', async (t) => {
  const registry = await startRegistry({ auth: 'basic' })
  t.teardown(registry.stop)
  for (const tag of ['v1', 'v2']) await pushImage(registry, { repository: REPOSITORY, tag, kind: 'oci-image' })
  const hosts = trustedHosts(registry).join(',')
  // Thousands of malformed tokens from one address: past the failed-authentication limit they would
  // meet 429 before validation and test less (the limit has its own tests).
  const app = await build(t, {
    env: {
      REGISTRY_INSECURE_HOSTS: hosts,
      REGISTRY_ALLOWED_PRIVATE_HOSTS: hosts,
      LOG_LEVEL: 'warn',
      RATE_LIMIT_AUTH_FAILURES_PER_MINUTE: '1000000'
    }
  })

  const doc = readDocument()
  const operations = listOperations(doc)
  const validator = contractValidator(doc)
  const fixture = await createFuzzFixture(app, doc, operations, registry)
  const before = await fixtureSnapshot(app, fixture)

  const secrets: Record<TokenKind, string | null> = {
    admin: ADMIN_TOKEN,
    owner: fixture.tokens.owner,
    other: fixture.tokens.other,
    none: null,
    malformed: null
  }
  const log = new FindingLog()
  const perOperationMs = Math.floor(BUDGET_MS / operations.length)
  const started = Date.now()
  let refusedByClient = 0

  for (const [i, op] of operations.entries()) {
    const plans = requestPlanArbitrary(doc, op, fixture.hints, ADMIN_TOKEN)
    await fc.assert(
      fc.asyncProperty(plans, async (plan) => {
        const req = finalizeRequest(op, plan, validator)
        const secret = secrets[req.token]
        const headers = { ...(secret ? { authorization: `Bearer ${secret}` } : {}), ...req.headers }
        let res
        try {
          res = await app.app.inject({
            method: req.method,
            url: req.url,
            headers,
            ...(req.payload !== undefined ? { payload: req.payload } : {})
          })
        } catch {
          refusedByClient++ // light-my-request refuses some headers Node would never send; nothing reached the server
          return
        }
        log.requests++
        if (TRACE.has(op.id))
          t.comment(
            `${req.token} ${req.method} ${req.url} ${req.payload?.slice(0, 200) ?? ''} → ${res.statusCode} ${res.body.slice(0, 200)}`
          )
        log.record(op, req, res, breaches(op, req, res, validator))
      }),
      { numRuns: RUNS, seed: SEED + i, interruptAfterTimeLimit: perOperationMs, markInterruptAsFailure: false }
    )
  }
  const seconds = ((Date.now() - started) / 1000).toFixed(1)
  t.comment(
    `contract fuzz: ${operations.length} operations, ${log.requests} requests (${refusedByClient} refused by inject), seed ${SEED}, ${seconds} s, ${log.findings.size} distinct findings`
  )

  for (const f of log.findings.values()) {
    t.fail(`${f.key} (×${f.count})`, { request: f.request, response: f.response })
  }
  t.same(await fixtureSnapshot(app, fixture), before, 'the fixture image, its versions, events, credential and the tokens are unchanged')
  t.ok(log.requests >= operations.length, 'every operation was fuzzed')
})
