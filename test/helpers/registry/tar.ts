/**
 * A minimal ustar writer: enough for a one-file image layer that real tools (umoci, skopeo) accept,
 * without depending on a tar package.
 */

function field(header: Buffer, offset: number, length: number, value: string): void {
  header.write(value, offset, Math.min(length, Buffer.byteLength(value)), 'ascii')
}

const octal = (value: number, width: number): string => value.toString(8).padStart(width - 1, '0') + '\0'

/** A tar archive holding regular files (names under 100 bytes), ending with two zero blocks. */
export function tarArchive(files: { name: string; content: Buffer }[]): Buffer {
  const blocks: Buffer[] = []
  for (const file of files) {
    const header = Buffer.alloc(512)
    field(header, 0, 100, file.name)
    field(header, 100, 8, octal(0o644, 8))
    field(header, 108, 8, octal(0, 8))
    field(header, 116, 8, octal(0, 8))
    field(header, 124, 12, octal(file.content.length, 12))
    field(header, 136, 12, octal(Math.floor(Date.now() / 1000), 12))
    field(header, 148, 8, '        ') // checksum is computed with its own field as spaces
    field(header, 156, 1, '0')
    field(header, 257, 6, 'ustar\0')
    field(header, 263, 2, '00')
    let sum = 0
    for (const byte of header) sum += byte
    field(header, 148, 8, sum.toString(8).padStart(6, '0') + '\0 ')
    blocks.push(header, file.content, Buffer.alloc((512 - (file.content.length % 512)) % 512))
  }
  blocks.push(Buffer.alloc(1024))
  return Buffer.concat(blocks)
}
