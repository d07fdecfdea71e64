import t from 'tap'
import { build } from '../helpers/app.js'
import { makeDue, rolloutEvents, rolloutUrl, rollingOut, waitFor } from './fixtures.js'

const ROUNDS = 8

t.test('advance racing abort: one consistent outcome, never an advance after the withdrawal', async (t) => {
  const app = await build(t)
  const post = (code: string, action: string, payload?: unknown) =>
    app.call({ method: 'POST', url: rolloutUrl(code, '1.1.0', action), ...(payload !== undefined ? { payload } : {}) })
  const outcomes = new Set<string>()
  for (let i = 0; i < ROUNDS; i++) {
    const code = `race-abort-${i}`
    await rollingOut(app, code, { stages: [{ percent: 10 }, { percent: 50 }], advanceAfter: '1h' })
    const [advance, abort] = await Promise.all([post(code, 'advance', { fromStage: 0 }), post(code, 'abort', { reason: 'bad build' })])
    t.equal(abort.statusCode, 200, 'the abort always wins or comes second')
    const events = (await rolloutEvents(app, code)).slice(1).map((e) => [e.action, e.details])
    if (advance.statusCode === 200) {
      outcomes.add('advanced, then aborted')
      t.same(events, [
        ['version.rollout_advanced', { from: 0, to: 1, automatic: false }],
        ['version.rollout_aborted', { from: 'released', to: 'withdrawn', stage: 1, reason: 'bad build' }]
      ])
      t.match(abort.json(), { state: 'aborted', stage: 1 })
    } else {
      outcomes.add('aborted, advance refused')
      t.equal(advance.statusCode, 409)
      t.match(advance.json(), { code: 'ROLLOUT_STATE_CONFLICT', state: 'aborted', stage: 0, allowedActions: [] })
      t.same(events, [['version.rollout_aborted', { from: 'released', to: 'withdrawn', stage: 0, reason: 'bad build' }]])
    }
    const version = await app.call({ method: 'GET', url: `/v1/images/${code}/versions/1.1.0` })
    t.equal(version.json().status, 'withdrawn')
  }
  t.comment(`outcomes seen: ${[...outcomes].join('; ')}`)
})

t.test('the last advance racing abort: completed and released, or aborted and withdrawn, never both', async (t) => {
  const app = await build(t)
  const post = (code: string, action: string, payload?: unknown) =>
    app.call({ method: 'POST', url: rolloutUrl(code, '1.1.0', action), ...(payload !== undefined ? { payload } : {}) })
  for (let i = 0; i < ROUNDS; i++) {
    const code = `race-last-${i}`
    await rollingOut(app, code, { stages: [{ percent: 10 }], advanceAfter: null })
    const [advance, abort] = await Promise.all([post(code, 'advance'), post(code, 'abort', { reason: 'bad build' })])
    t.same([advance.statusCode, abort.statusCode].sort(), [200, 409], 'exactly one wins')
    const events = (await rolloutEvents(app, code)).slice(1).map((e) => e.action)
    const version = (await app.call({ method: 'GET', url: `/v1/images/${code}/versions/1.1.0` })).json()
    if (advance.statusCode === 200) {
      t.same(events, ['version.rollout_completed'])
      t.equal(version.status, 'released')
      t.match(abort.json(), { code: 'ROLLOUT_STATE_CONFLICT', state: 'completed' })
    } else {
      t.same(events, ['version.rollout_aborted'])
      t.equal(version.status, 'withdrawn')
    }
  }
})

t.test('two operators advancing from the same stage: one advances, the other gets a 409', async (t) => {
  const app = await build(t)
  for (let i = 0; i < ROUNDS; i++) {
    const code = `race-twice-${i}`
    await rollingOut(app, code, { stages: [{ percent: 10 }, { percent: 20 }, { percent: 30 }], advanceAfter: '1h' })
    const click = () => app.call({ method: 'POST', url: rolloutUrl(code, '1.1.0', 'advance'), payload: { fromStage: 0 } })
    const answers = await Promise.all([click(), click()])
    t.same(answers.map((a) => a.statusCode).sort(), [200, 409])
    t.match(answers.find((a) => a.statusCode === 409)!.json(), { code: 'ROLLOUT_STATE_CONFLICT', stage: 1, state: 'rolling_out' })
    const events = (await rolloutEvents(app, code)).filter((e) => e.action === 'version.rollout_advanced')
    t.same(
      events.map((e) => e.details),
      [{ from: 0, to: 1, automatic: false }],
      'no stage skipped'
    )
  }
})

t.test('an operator advancing while the service advances the same due stage: one advance', async (t) => {
  const app = await build(t, { env: { ROLLOUT_POLL_INTERVAL_MS: '100' } })
  for (let i = 0; i < ROUNDS; i++) {
    const code = `race-auto-${i}`
    const { versionId } = await rollingOut(app, code, { stages: [{ percent: 10 }, { percent: 20 }], advanceAfter: '1h' })
    await makeDue(app, versionId)
    const click = await app.call({ method: 'POST', url: rolloutUrl(code, '1.1.0', 'advance'), payload: { fromStage: 0 } })
    t.ok([200, 409].includes(click.statusCode), `the click: ${click.statusCode}`)
    await waitFor(
      'stage 1',
      async () => (await app.call({ method: 'GET', url: rolloutUrl(code, '1.1.0') })).json(),
      (r) => r.stage >= 1
    )
    await new Promise((resolve) => setTimeout(resolve, 300))
    const advanced = (await rolloutEvents(app, code)).filter((e) => e.action === 'version.rollout_advanced')
    t.equal(advanced.length, 1, 'one advance')
    t.same(advanced[0]!.details, { from: 0, to: 1, automatic: click.statusCode === 409 }, 'by whoever came first')
  }
})
