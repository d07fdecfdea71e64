// The publisher's commands: publish a version (and wait for its check), act on one, list them.
import { Option, type Command } from 'commander'
import type { paths, Schemas } from '../client/index.js'
import { answer, contextOf, type Context } from './context.js'
import { collect, formatOption, integerIn } from './options.js'
import { printJson, printLine, printTable, type Format } from './output.js'
import { versionLine } from './version-text.js'
import { waitForCheck } from './wait-for-check.js'

type Version = Schemas['Version']
type SubmitBody = paths['/v1/images/{code}/versions']['post']['requestBody']['content']['application/json']

interface WaitFlags {
  wait?: boolean
  interval: number
  timeout: number
  format: Format
}

const addWaitOptions = (command: Command): Command =>
  command
    .option('--wait', 'poll until the check ends: exit 0 on testing, 3 on check_failed')
    .addOption(new Option('--interval <ms>', 'between polls with --wait').argParser(integerIn(50, 60_000)).default(1000))
    .addOption(new Option('--timeout <seconds>', 'give up waiting (exit 5) after').argParser(integerIn(1, 86_400)).default(600))
    .addOption(formatOption())

/** Prints the accepted version, then (with --wait) each status it moves to; JSON prints the last one only. */
async function report(context: Context, version: Version, flags: WaitFlags): Promise<void> {
  const text = flags.format === 'text'
  if (text) printLine(versionLine(version))
  const final = flags.wait
    ? await waitForCheck(context, version, {
        intervalMs: flags.interval,
        timeoutMs: flags.timeout * 1000,
        onChange: (v) => text && printLine(versionLine(v))
      })
    : version
  if (!text) printJson(final)
}

interface PublishFlags extends WaitFlags {
  registry?: string
  repository: string
  tag: string
  releaseType?: 'major' | 'minor' | 'patch'
  line?: number
  credential?: string | false
  idempotencyKey?: string
}

function publishBody(flags: PublishFlags): SubmitBody {
  return {
    repository: flags.repository,
    tag: flags.tag,
    ...(flags.registry !== undefined ? { registry: flags.registry } : {}),
    ...(flags.releaseType ? { releaseType: flags.releaseType } : {}),
    ...(flags.line !== undefined ? { line: flags.line } : {}),
    // --no-credential asks for an anonymous pull; without either flag the image's credential is used.
    ...(flags.credential === false ? { credentialId: null } : flags.credential ? { credentialId: flags.credential } : {})
  }
}

export function registerVersionCommands(program: Command): void {
  addWaitOptions(
    program
      .command('publish')
      .description('submit a version of <image> (the service numbers it) and, with --wait, follow its check')
      .argument('<image>', 'image code')
      .option('--registry <host>', 'registry host[:port]; docker.io when absent')
      .requiredOption('--repository <name>', 'repository, e.g. ci/node')
      .requiredOption('--tag <tag>', 'tag to check and release')
      .addOption(new Option('--release-type <type>', 'needed after the first version').choices(['major', 'minor', 'patch']))
      .addOption(new Option('--line <major>', 'bump this major line (a fix for an older line)').argParser(integerIn(1, 999_999_999)))
      .option('--credential <id>', "a credential of the owner project (default: the image's)")
      .option('--no-credential', 'pull anonymously')
      .option('--idempotency-key <key>', 'retrying with the same key answers the first submission')
  ).action(async (image: string, flags: PublishFlags, command: Command) => {
    const context = contextOf(command)
    const submitted = await answer(
      context,
      context.client.POST('/v1/images/{code}/versions', {
        params: { path: { code: image }, header: flags.idempotencyKey ? { 'idempotency-key': flags.idempotencyKey } : {} },
        body: publishBody(flags)
      })
    )
    await report(context, submitted, flags)
  })

  addWaitOptions(
    program.command('recheck').description('check a version again (after a fix in the registry)').argument('<image>').argument('<version>')
  ).action(async (image: string, version: string, flags: WaitFlags, command: Command) => {
    const context = contextOf(command)
    const path = { code: image, version }
    await report(
      context,
      await answer(context, context.client.POST('/v1/images/{code}/versions/{version}/recheck', { params: { path } })),
      flags
    )
  })

  const action = (name: 'release' | 'cancel' | 'withdraw', description: string) =>
    program.command(name).description(description).argument('<image>').argument('<version>').addOption(formatOption())

  action('release', 'release a testing version to everyone who can see the image').action(
    async (image: string, version: string, flags: { format: Format }, command: Command) => {
      const context = contextOf(command)
      const path = { code: image, version }
      print(flags, await answer(context, context.client.POST('/v1/images/{code}/versions/{version}/release', { params: { path } })))
    }
  )
  action('cancel', 'cancel a version that is not released')
    .option('--reason <text>', 'kept in the audit trail')
    .action(async (image: string, version: string, flags: { format: Format; reason?: string }, command: Command) => {
      const context = contextOf(command)
      const path = { code: image, version }
      const body = flags.reason === undefined ? {} : { reason: flags.reason }
      print(flags, await answer(context, context.client.POST('/v1/images/{code}/versions/{version}/cancel', { params: { path }, body })))
    })
  action('withdraw', 'take a released version down (N.latest falls back at once)')
    .requiredOption('--reason <text>', 'shown to users')
    .action(async (image: string, version: string, flags: { format: Format; reason: string }, command: Command) => {
      const context = contextOf(command)
      const path = { code: image, version }
      const body = { reason: flags.reason }
      print(flags, await answer(context, context.client.POST('/v1/images/{code}/versions/{version}/withdraw', { params: { path }, body })))
    })

  program
    .command('versions')
    .description('list the versions of <image>, newest first')
    .argument('<image>')
    .option('--status <status>', 'only this status (repeatable)', collect)
    .addOption(new Option('--line <major>', 'only this major line').argParser(integerIn(1, 999_999_999)))
    .addOption(formatOption())
    .action(async (image: string, flags: { status?: Version['status'][]; line?: number; format: Format }, command: Command) => {
      const context = contextOf(command)
      const versions: Version[] = []
      let cursor: string | undefined
      do {
        const query = {
          limit: 100,
          ...(cursor ? { cursor } : {}),
          ...(flags.status ? { status: flags.status } : {}),
          ...(flags.line ? { line: flags.line } : {})
        }
        const page = await answer(context, context.client.GET('/v1/images/{code}/versions', { params: { path: { code: image }, query } }))
        versions.push(...page.items)
        cursor = page.nextCursor ?? undefined
      } while (cursor)
      if (flags.format === 'json') return printJson(versions)
      printTable(
        ['VERSION', 'STATUS', 'REFERENCE', 'DIGEST / REASON'],
        versions.map((v) => [v.version, v.status, v.reference, v.statusReason ?? v.withdrawReason ?? v.digest ?? ''])
      )
    })
}

function print(flags: { format: Format }, version: Version): void {
  if (flags.format === 'json') printJson(version)
  else printLine(versionLine(version))
}
