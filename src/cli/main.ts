#!/usr/bin/env node
// `cis`, the command line of ci-image-store for publishers, pipeline engines and operators.
// Configuration comes from flags and the environment (CIS_URL, CIS_TOKEN) only.
import { Command, CommanderError, Option } from 'commander'
import { registerEventsCommand } from './events.command.js'
import { CliError, EXIT, EXIT_CODES_HELP } from './exit-codes.js'
import { registerResolveCommand } from './resolve.command.js'
import { registerTokenCommands } from './tokens.commands.js'
import { registerVersionCommands } from './versions.commands.js'

// A reader that stops early (`cis events --follow | head`) ends the run; it is not an error.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error
  process.exit(EXIT.ok)
})

const program = new Command('cis')
  .description('Publish, release and resolve CI images with ci-image-store.')
  .addOption(new Option('--url <url>', "the service's root URL").env('CIS_URL').default('http://127.0.0.1:3000'))
  .addOption(new Option('--token <token>', 'API token (prefer CIS_TOKEN)').env('CIS_TOKEN'))
  .addHelpText('after', `\n${EXIT_CODES_HELP}`)
  .showHelpAfterError('(cis --help for usage)')
  // Inherited by every command added below: commander's errors become exit code 2, not 1.
  .exitOverride()

registerVersionCommands(program)
registerResolveCommand(program)
registerTokenCommands(program)
registerEventsCommand(program)

try {
  await program.parseAsync(process.argv)
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and usage messages are already printed by commander.
    process.exitCode = error.exitCode === 0 ? EXIT.ok : EXIT.usage
  } else if (error instanceof CliError) {
    process.stderr.write(`cis: ${error.message}\n`)
    process.exitCode = error.exitCode
  } else throw error
}
