// Each request gets one server span, named by its route template, in the caller's trace when a
// `traceparent` came in; every log line of the request carries the trace.
import { SpanKind, SpanStatusCode } from '@opentelemetry/api'
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base'
import t, { type Test } from 'tap'
import { build, type TestApp } from '../helpers/app.js'

const CALLER_TRACE = '4bf92f3577b34da6a3ce929d0e0e4736'
const CALLER_SPAN = '00f067aa0ba902b7'

async function traced(t: Test): Promise<TestApp & { spans: InMemorySpanExporter }> {
  const spans = new InMemorySpanExporter()
  return { ...(await build(t, { spanExporter: spans })), spans }
}

function onlySpan(t: Test, spans: InMemorySpanExporter): ReadableSpan {
  const finished = spans.getFinishedSpans()
  t.equal(finished.length, 1, 'one span for the request')
  return finished[0]!
}

/** The JSON log lines of one request. */
function linesOf(logs: string[], requestId: string): Record<string, unknown>[] {
  return logs.map((l) => JSON.parse(l) as Record<string, unknown>).filter((l) => l.requestId === requestId)
}

t.test('a request gets a server span named by its route template', async (t) => {
  const { call, spans, config } = await traced(t)
  const res = await call({ method: 'GET', url: '/v1/images/no-such-image/resolve?version=1.latest&project=payments' })
  t.equal(res.statusCode, 404)

  const span = onlySpan(t, spans)
  t.equal(span.name, 'GET /v1/images/:code/resolve')
  t.equal(span.kind, SpanKind.SERVER)
  t.match(span.attributes, {
    'http.route': '/v1/images/:code/resolve',
    'http.request.method': 'GET',
    'http.response.status_code': 404,
    'url.path': '/v1/images/no-such-image/resolve',
    'url.query': 'version=1.latest&project=payments'
  })
  t.equal(span.resource.attributes['service.name'], config.OTEL_SERVICE_NAME)
  t.equal(span.parentSpanContext, undefined, 'a new trace without traceparent')
})

t.test('an incoming traceparent makes the span a child of the caller', async (t) => {
  const { call, spans } = await traced(t)
  const res = await call({
    method: 'GET',
    url: '/v1/whoami',
    headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01`, tracestate: 'vendor=opaque' }
  })
  t.equal(res.statusCode, 200)

  const span = onlySpan(t, spans)
  t.equal(span.name, 'GET /v1/whoami')
  t.equal(span.spanContext().traceId, CALLER_TRACE)
  t.not(span.spanContext().spanId, CALLER_SPAN)
  t.equal(span.parentSpanContext?.spanId, CALLER_SPAN)
  t.equal(span.parentSpanContext?.isRemote, true)
  t.equal(span.spanContext().traceState?.get('vendor'), 'opaque', 'tracestate carried on')
})

t.test('every log line of a traced request carries its trace and span', async (t) => {
  const { call, spans, logs } = await traced(t)
  const res = await call({
    method: 'GET',
    url: '/v1/whoami',
    headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` }
  })
  const span = onlySpan(t, spans)
  const lines = linesOf(logs, res.headers['x-request-id'] as string)
  t.same(
    lines.map((l) => l.msg),
    ['incoming request', 'request completed'],
    "Fastify's lines, in order"
  )
  for (const line of lines) t.match(line, { traceId: CALLER_TRACE, spanId: span.spanContext().spanId }, String(line.msg))
})

t.test('errors mark the span: 5xx as an error, 4xx left to the status code', async (t) => {
  const { app, call, spans } = await traced(t)
  app.get('/test/fails', async () => {
    throw new Error('a bug')
  })

  const failed = await call({ method: 'GET', url: '/test/fails' })
  t.equal(failed.statusCode, 500)
  const span = onlySpan(t, spans)
  t.equal(span.name, 'GET /test/fails')
  t.equal(span.status.code, SpanStatusCode.ERROR)
  t.equal(span.attributes['http.response.status_code'], 500)
  t.equal(span.attributes['error.type'], '500')
  spans.reset()

  const refused = await call({ method: 'GET', url: '/v1/whoami', token: null })
  t.equal(refused.statusCode, 401)
  const refusedSpan = onlySpan(t, spans)
  t.equal(refusedSpan.attributes['http.response.status_code'], 401)
  t.equal(refusedSpan.status.code, SpanStatusCode.UNSET, "a client's mistake is not the server's error")
})

t.test('probes are not traced', async (t) => {
  const { call, spans } = await traced(t)
  t.equal((await call({ method: 'GET', url: '/healthz', token: null })).statusCode, 200)
  t.equal((await call({ method: 'GET', url: '/readyz', token: null })).statusCode, 200)
  t.equal((await call({ method: 'GET', url: '/readyz?unexpected=1', token: null })).statusCode, 400, 'a query string too')
  t.same(spans.getFinishedSpans(), [])
})

t.test('a request refused before routing logs the same lines as without tracing', async (t) => {
  const url = '/v1/images/%E0%A4%A'
  const plain = await build(t)
  const { call, spans, logs } = await traced(t)
  const messages = async (app: Pick<TestApp, 'call' | 'logs'>) => {
    const res = await app.call({ method: 'GET', url })
    t.equal(res.statusCode, 400)
    return app.logs
      .map((l) => JSON.parse(l) as Record<string, unknown>)
      .map((l) => l.msg)
      .filter((m) => m !== 'Server listening')
  }
  const untraced = await messages(plain)
  t.ok(untraced.includes('incoming request'))
  t.same(await messages({ call, logs }), untraced)
  t.same(spans.getFinishedSpans(), [], 'never routed, so no span')
})

t.test('tracing off: no plugin, no trace fields, incoming traceparent ignored', async (t) => {
  const { app, call, logs } = await build(t)
  const res = await call({
    method: 'GET',
    url: '/v1/whoami',
    headers: { traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` }
  })
  t.equal(res.statusCode, 200)
  t.equal(app.hasPlugin('@fastify/otel'), false)
  t.equal(app.hasRequestDecorator('opentelemetry'), false)
  const lines = linesOf(logs, res.headers['x-request-id'] as string)
  t.same(
    lines.map((l) => l.msg),
    ['incoming request', 'request completed']
  )
  for (const line of lines) t.notOk('traceId' in line || 'spanId' in line, String(line.msg))
})
