// An image's audit trail, oldest first like a log. --follow reads the catalog's event feed for the
// image instead: it is numbered in commit order and its cursor is always returned, so polling from
// the last cursor neither misses nor repeats an event, whatever order concurrent changes commit in.
import { Option, type Command } from 'commander'
import type { Schemas } from '../client/index.js'
import { answer, contextOf, type Context } from './context.js'
import { formatOption, integerIn } from './options.js'
import { printLine, type Format } from './output.js'

type FeedEvent = Schemas['EventFeedPage']['items'][number]

interface EventsFlags {
  limit: number
  follow?: boolean
  interval: number
  format: Format
}

interface EventText {
  id: number
  when: string
  what: string
  version: string | null
  actor: { name: string }
  details: object
}

function eventLine(e: EventText): string {
  const details = Object.keys(e.details).length > 0 ? ` ${JSON.stringify(e.details)}` : ''
  return `${e.when} #${e.id} ${e.what}${e.version ? ` ${e.version}` : ''} by ${e.actor.name}${details}`
}

/** The feed's events of `image` after `cursor` (from the oldest without one), and the cursor to read on from. */
async function feedAfter(context: Context, image: string, cursor: string | undefined): Promise<{ events: FeedEvent[]; cursor: string }> {
  const events: FeedEvent[] = []
  for (;;) {
    const query = { image: [image], limit: 500, ...(cursor ? { after: cursor } : {}) }
    const page = await answer(context, context.client.GET('/v1/events', { params: { query } }))
    events.push(...page.items)
    cursor = page.nextCursor
    if (!page.hasMore) return { events, cursor }
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

async function follow(context: Context, image: string, flags: EventsFlags): Promise<never> {
  const print = (e: FeedEvent) =>
    printLine(flags.format === 'json' ? JSON.stringify(e) : eventLine({ ...e, when: e.time, what: e.type, details: e.details }))
  // Read to the end of the feed once, to show the last few and hold the cursor after them.
  let { events, cursor } = await feedAfter(context, image, undefined)
  events = events.slice(-flags.limit)
  for (;;) {
    for (const e of events) print(e)
    await sleep(flags.interval)
    ;({ events, cursor } = await feedAfter(context, image, cursor))
  }
}

export function registerEventsCommand(program: Command): void {
  program
    .command('events')
    .description("an image's audit trail, oldest first; --follow keeps printing new events")
    .argument('<image>')
    .addOption(new Option('--limit <n>', 'how many recent events to show first').argParser(integerIn(1, 100)).default(20))
    .option('--follow', 'poll the event feed for new events until interrupted')
    .addOption(new Option('--interval <ms>', 'between polls with --follow').argParser(integerIn(50, 60_000)).default(2000))
    .addOption(formatOption())
    .action(async (image: string, flags: EventsFlags, command: Command) => {
      const context = contextOf(command)
      if (flags.follow) await follow(context, image, flags)
      const query = { limit: flags.limit }
      const page = await answer(context, context.client.GET('/v1/images/{code}/events', { params: { path: { code: image }, query } }))
      // JSON is one event per line, as --follow prints it.
      for (const e of page.items.toReversed())
        printLine(flags.format === 'json' ? JSON.stringify(e) : eventLine({ ...e, when: e.createdAt, what: e.action, details: e.details }))
    })
}
