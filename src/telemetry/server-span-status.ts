import { SpanKind, SpanStatusCode, type SpanStatus } from '@opentelemetry/api'
import type { Span, SpanProcessor } from '@opentelemetry/sdk-trace-base'
import { ATTR_ERROR_TYPE, ATTR_HTTP_RESPONSE_STATUS_CODE } from '@opentelemetry/semantic-conventions'

/**
 * The HTTP semantic conventions count a server span as failed for a 5xx answer only, with
 * error.type naming the status; a 4xx is the client's mistake. @fastify/otel marks the span of
 * every thrown error, so each 401, 404 or invalid body would read as the service failing. Put
 * right as the span ends, before any exporter sees it.
 */
export class ServerSpanStatus implements SpanProcessor {
  onStart(): void {}

  onEnding(span: Span): void {
    if (span.kind !== SpanKind.SERVER) return
    const status = span.attributes[ATTR_HTTP_RESPONSE_STATUS_CODE]
    if (typeof status !== 'number') return
    if (status >= 500) span.setAttribute(ATTR_ERROR_TYPE, String(status))
    // The API cannot take an error status back (setStatus ignores UNSET), the span itself can.
    else if (span.status.code === SpanStatusCode.ERROR) (span as { status: SpanStatus }).status = { code: SpanStatusCode.UNSET }
  }

  onEnd(): void {}

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
