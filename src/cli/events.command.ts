// An image's audit trail, oldest first like a log. The API lists newest first with a cursor towards
// older events, so --follow polls the first page and walks the cursor back until it meets the last
// event already shown.
import { Option, type Command } from 'commander'
import type { Schemas } from '../client/index.js'
import { answer, contextOf, type Context } from './context.js'
import { formatOption, integerIn } from './options.js'
import { printLine, type Format } from './output.js'

type ImageEvent = Schemas['ImageEvent']

interface EventsFlags {
  limit: number
  follow?: boolean
  interval: number
  format: Format
}

function eventLine(e: ImageEvent): string {
  const details = Object.keys(e.details).length > 0 ? ` ${JSON.stringify(e.details)}` : ''
  return `${e.createdAt} #${e.id} ${e.action}${e.version ? ` ${e.version}` : ''} by ${e.actor.name}${details}`
}

/** Events newer than `afterId`, newest first, at most `limit` when afterId is undefined. */
async function newerEvents(context: Context, image: string, afterId: number | undefined, limit: number): Promise<ImageEvent[]> {
  const found: ImageEvent[] = []
  let cursor: string | undefined
  do {
    const query = { limit, ...(cursor ? { cursor } : {}) }
    const page = await answer(context, context.client.GET('/v1/images/{code}/events', { params: { path: { code: image }, query } }))
    const fresh = page.items.filter((e) => afterId === undefined || e.id > afterId)
    found.push(...fresh)
    if (afterId === undefined || fresh.length < page.items.length) break
    cursor = page.nextCursor ?? undefined
  } while (cursor)
  return found
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export function registerEventsCommand(program: Command): void {
  program
    .command('events')
    .description("an image's audit trail, oldest first; --follow keeps printing new events")
    .argument('<image>')
    .addOption(new Option('--limit <n>', 'how many recent events to show first').argParser(integerIn(1, 100)).default(20))
    .option('--follow', 'poll for new events until interrupted')
    .addOption(new Option('--interval <ms>', 'between polls with --follow').argParser(integerIn(50, 60_000)).default(2000))
    .addOption(formatOption())
    .action(async (image: string, flags: EventsFlags, command: Command) => {
      const context = contextOf(command)
      // JSON is one event per line, so a follower's output can be read as it comes.
      const print = (e: ImageEvent) => printLine(flags.format === 'json' ? JSON.stringify(e) : eventLine(e))
      let lastId: number | undefined
      for (;;) {
        const events = await newerEvents(context, image, lastId, flags.limit)
        for (const e of events.toReversed()) print(e)
        lastId = Math.max(lastId ?? 0, ...events.map((e) => e.id))
        if (!flags.follow) return
        await sleep(flags.interval)
      }
    })
}
