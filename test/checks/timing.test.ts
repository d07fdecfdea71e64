import t from 'tap'
import { build } from '../helpers/app.js'
import { createImage, push, registryEnv, startTestRegistry, submit, waitForCheck, action } from '../versions/fixtures.js'

// Not an assertion on time: prints the median so the figure can be reported.
t.test('submit → testing against the local registry', async (t) => {
  const registry = await startTestRegistry(t)
  const app = await build(t, { env: registryEnv(registry) })
  await createImage(app, { code: 'timing' })
  const samples: number[] = []
  for (let i = 0; i < 11; i++) {
    await push(registry, 'team/timing', `t${i}`)
    const started = performance.now()
    const res = await submit(app, 'timing', {
      registry: registry.host,
      repository: 'team/timing',
      tag: `t${i}`,
      ...(i > 0 ? { releaseType: 'minor' } : {})
    })
    t.equal(res.statusCode, 202)
    const checked = await waitForCheck(app, 'timing', res.json().version)
    samples.push(performance.now() - started)
    t.equal(checked.status, 'testing')
    t.equal((await action(app, 'timing', checked.version, 'release')).statusCode, 200)
  }
  const measured = samples.slice(1).sort((a, b) => a - b) // the first includes connection setup
  const median = measured[Math.floor(measured.length / 2)] ?? NaN
  t.comment(
    `submit → testing: median ${median.toFixed(1)} ms over ${measured.length} runs (min ${measured[0]?.toFixed(1)}, max ${measured.at(-1)?.toFixed(1)}; first run ${samples[0]?.toFixed(1)} ms)`
  )
})
