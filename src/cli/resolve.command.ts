// The pipeline engine's call: a version spec to one digest-pinned version, as JSON or as the bare
// reference to pull (`docker pull "$(cis resolve … --format ref)"`).
import type { Command } from 'commander'
import { answer, contextOf } from './context.js'
import { formatOption } from './options.js'
import { printJson, printLine } from './output.js'

interface ResolveFlags {
  project: string
  pipeline?: string
  build?: string
  format: 'json' | 'ref'
}

export function registerResolveCommand(program: Command): void {
  program
    .command('resolve')
    .description('resolve a version spec (1.latest, 1.2.latest, latest, 1.2.3) of <image> for a project')
    .argument('<image>')
    .argument('<spec>')
    .requiredOption('--project <project>', 'the project the job runs for')
    .option('--pipeline <id>', 'recorded in the resolution log')
    .option('--build <id>', 'recorded in the resolution log')
    .addOption(formatOption(['json', 'ref']))
    .action(async (image: string, spec: string, flags: ResolveFlags, command: Command) => {
      const context = contextOf(command)
      const query = {
        version: spec,
        project: flags.project,
        ...(flags.pipeline ? { pipeline: flags.pipeline } : {}),
        ...(flags.build ? { build: flags.build } : {})
      }
      const resolution = await answer(
        context,
        context.client.GET('/v1/images/{code}/resolve', { params: { path: { code: image }, query } })
      )
      if (flags.format === 'ref') printLine(resolution.pinnedReference)
      else printJson(resolution)
    })
}
