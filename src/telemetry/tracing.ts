import { FastifyOtelInstrumentation } from '@fastify/otel'
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http'
import { resourceFromAttributes } from '@opentelemetry/resources'
import {
  BatchSpanProcessor,
  NodeTracerProvider,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor
} from '@opentelemetry/sdk-trace-node'
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions'
import type { Config } from '../config.js'
import { describeRequestSpan } from './request-span.js'
import { ServerSpanStatus } from './server-span-status.js'
import { TracedLogController } from './traced-log-controller.js'
import { registerW3CPropagation } from './w3c-propagation.js'

// Spans still queued at shutdown get this long to reach the collector; it stays well inside the
// margin the shutdown timeout keeps for flushing and closing.
const FLUSH_TIMEOUT_MS = 3_000

// Probes and scrapes arrive every few seconds from every replica and say nothing a trace would.
const UNTRACED_PATHS = ['/healthz', '/readyz', '/metrics']

export interface Tracing {
  instrumentation: FastifyOtelInstrumentation
  logController: TracedLogController
  /** Sends the spans still queued and stops; never takes longer than the flush timeout. */
  shutdown(): Promise<void>
}

export interface TracingOptions {
  config: Pick<Config, 'OTEL_EXPORTER_OTLP_ENDPOINT' | 'OTEL_SERVICE_NAME'>
  /** Where spans go instead of (or besides) the collector: each span is handed over as it ends. */
  spanExporter?: SpanExporter | undefined
  requestIdLogLabel: string
}

/** The app's own tracer provider and instrumentation, or undefined when tracing is off. */
export function createTracing({ config, spanExporter, requestIdLogLabel }: TracingOptions): Tracing | undefined {
  const processors: SpanProcessor[] = []
  if (config.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined) {
    const url = `${config.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`
    processors.push(new BatchSpanProcessor(new OTLPTraceExporter({ url, timeoutMillis: FLUSH_TIMEOUT_MS })))
  }
  if (spanExporter) processors.push(new SimpleSpanProcessor(spanExporter))
  if (processors.length === 0) return undefined

  registerW3CPropagation()
  // Not registered globally: tests build many apps in one process, each with its own provider.
  const provider = new NodeTracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: config.OTEL_SERVICE_NAME }),
    spanProcessors: [new ServerSpanStatus(), ...processors]
  })
  const logController = new TracedLogController({ requestIdLogLabel })
  const instrumentation = new FastifyOtelInstrumentation({
    // One server span per request: a span for every hook would multiply the spans of each resolve.
    instrumentHooks: false,
    instrumentHandler: false,
    ignorePaths: ({ url }) => UNTRACED_PATHS.includes(url.split('?', 1)[0]!),
    requestHook: (span, request) => {
      describeRequestSpan(span, request)
      logController.spanStarted(request)
    }
  })
  instrumentation.setTracerProvider(provider)

  return {
    instrumentation,
    logController,
    shutdown: () => withinFlushTimeout(provider.shutdown())
  }
}

async function withinFlushTimeout(work: Promise<void>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, FLUSH_TIMEOUT_MS).unref()
  })
  try {
    await Promise.race([work.catch(() => undefined), timeout])
  } finally {
    clearTimeout(timer)
  }
}
