// The operator's token commands: who am I, and list, create, revoke API tokens. The token the CLI
// runs with is never printed; a created token's secret is, once, because the service shows it once.
import { Option, type Command } from 'commander'
import type { Schemas } from '../client/index.js'
import { answer, contextOf } from './context.js'
import { collect, formatOption } from './options.js'
import { printJson, printLine, printTable, type Format } from './output.js'

type Token = Schemas['Token']
type Scope = Token['scopes'][number]

const projectsText = (projects: string[] | null) => (projects === null ? '(every project)' : projects.join(','))

interface CreateFlags {
  name: string
  scope: Scope[]
  project?: string[]
  expiresAt?: string
  format: 'json' | 'secret'
}

export function registerTokenCommands(program: Command): void {
  program
    .command('whoami')
    .description('the token in use: its name, scopes and projects')
    .addOption(formatOption())
    .action(async (flags: { format: Format }, command: Command) => {
      const context = contextOf(command)
      const me = await answer(context, context.client.GET('/v1/whoami'))
      if (flags.format === 'json') return printJson(me)
      printLine(`${me.name} (token ${me.tokenId})`)
      printLine(`scopes:   ${me.scopes.join(', ')}`)
      printLine(`projects: ${projectsText(me.projects)}`)
      printLine(`expires:  ${me.expiresAt ?? 'never'}`)
    })

  const tokens = program.command('tokens').description('API tokens (admin)')
  tokens
    .command('list')
    .description('every token, newest first (never their secrets)')
    .addOption(formatOption())
    .action(async (flags: { format: Format }, command: Command) => {
      const context = contextOf(command)
      const all: Token[] = []
      let cursor: string | undefined
      do {
        const query = { limit: 100, ...(cursor ? { cursor } : {}) }
        const page = await answer(context, context.client.GET('/v1/tokens', { params: { query } }))
        all.push(...page.items)
        cursor = page.nextCursor ?? undefined
      } while (cursor)
      if (flags.format === 'json') return printJson(all)
      printTable(
        ['ID', 'NAME', 'PREFIX', 'SCOPES', 'PROJECTS', 'STATE'],
        all.map((t) => [t.id, t.name, t.prefix, t.scopes.join(','), projectsText(t.projects), t.revokedAt ? 'revoked' : 'active'])
      )
    })
  tokens
    .command('create')
    .description('create a token; its secret is shown this once')
    .requiredOption('--name <name>', 'who holds it')
    .requiredOption('--scope <scope>', 'admin, images:read, images:write, credentials:write, resolve, pull-secrets (repeatable)', collect)
    .option('--project <project>', 'a project it may act for (repeatable); none = every project', collect)
    .option('--expires-at <date-time>', 'e.g. 2027-01-01T00:00:00Z; no expiry when absent')
    .addOption(
      new Option('--format <format>', 'json (the token with its secret) or secret (the secret alone)')
        .choices(['json', 'secret'])
        .default('json')
    )
    .action(async (flags: CreateFlags, command: Command) => {
      const context = contextOf(command)
      const body = {
        name: flags.name,
        scopes: flags.scope,
        ...(flags.project ? { projects: flags.project } : {}),
        ...(flags.expiresAt ? { expiresAt: flags.expiresAt } : {})
      }
      const created = await answer(context, context.client.POST('/v1/tokens', { body }))
      if (flags.format === 'secret') printLine(created.token)
      else printJson(created)
    })
  tokens
    .command('revoke')
    .description('revoke a token at once, on every replica')
    .argument('<id>')
    .action(async (id: string, _flags: unknown, command: Command) => {
      const context = contextOf(command)
      await answer(context, context.client.DELETE('/v1/tokens/{id}', { params: { path: { id } } }))
      printLine(`revoked ${id}`)
    })
}
