// Option helpers shared by the commands; a bad value is a usage error (exit 2) through commander.
import { InvalidArgumentError, Option } from 'commander'

export function integerIn(min: number, max: number): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max)
      throw new InvalidArgumentError(`expected an integer from ${min} to ${max}`)
    return Number(value)
  }
}

export const formatOption = (formats: readonly string[] = ['text', 'json']): Option =>
  new Option('--format <format>', 'output format').choices(formats).default(formats[0])

/** For repeatable options: --scope a --scope b. */
export const collect = (value: string, previous: string[] = []): string[] => [...previous, value]
