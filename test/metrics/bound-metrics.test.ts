import t from 'tap'
import { Counter, Histogram, Registry } from 'prom-client'
import { BoundCounter, BoundHistogram } from '../../src/metrics/bound-metrics.js'

const BUCKETS = [0.001, 0.01, 0.1, 1]
const VALUES = [0.0005, 0.001, 0.002, 0.05, 0.5, 0.5, 3, 0]

// The bound metrics are read by the registry like prom-client's own: the same observations must
// give the same exposition, line for line.
t.test('a bound histogram and counter expose what prom-client would', async (t) => {
  const own = new Registry()
  const bound = new BoundHistogram(own, { name: 'h_seconds', help: 'h', labelNames: ['route', 'class'], buckets: BUCKETS })
  const count = new BoundCounter(own, { name: 'c_total', help: 'c', labelNames: ['outcome'] })
  const reference = new Registry()
  const histogram = new Histogram({
    name: 'h_seconds',
    help: 'h',
    labelNames: ['route', 'class'],
    buckets: BUCKETS,
    registers: [reference]
  })
  const counter = new Counter({ name: 'c_total', help: 'c', labelNames: ['outcome'], registers: [reference] })

  for (const value of VALUES) {
    bound.series('/a/:id', '2xx').observe(value)
    histogram.observe({ route: '/a/:id', class: '2xx' }, value)
  }
  bound.series('/b', '5xx').observe(7)
  histogram.observe({ route: '/b', class: '5xx' }, 7)
  count.series('fresh').inc()
  count.series('fresh').inc(2)
  count.series('gone')
  counter.inc({ outcome: 'fresh' }, 3)
  counter.inc({ outcome: 'gone' }, 0)

  t.equal(await own.metrics(), await reference.metrics())
  t.match(await own.metrics(), 'h_seconds_bucket{le="0.001",route="/a/:id",class="2xx"} 3')
  t.throws(() => bound.series('/a/:id'), /takes the labels route, class/)
})
