import { propagation } from '@opentelemetry/api'
import { W3CTraceContextPropagator } from '@opentelemetry/core'

let registered = false

/**
 * @fastify/otel reads `traceparent`/`tracestate` through the process-wide propagator; there is no
 * per-app one. Every app of the process wants the same W3C propagator, so it is registered once
 * (and left alone if something else, such as an operator's auto-instrumentation, set one first).
 */
export function registerW3CPropagation(): void {
  if (registered) return
  registered = true
  propagation.setGlobalPropagator(new W3CTraceContextPropagator())
}
