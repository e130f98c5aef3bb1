/**
 * Fields of a tar header (POSIX ustar, pax extended headers, GNU long names and base-256
 * numbers): what the imager's archive scan and the restore path's extraction both read.
 */
export const block = 512;

/** Reads a numeric header field: NUL/space-terminated octal, or GNU base-256. */
export function numberField(header: Buffer, offset: number, length: number): number {
  const field = header.subarray(offset, offset + length);
  if (field[0]! & 0x80) {
    let value = 0;
    for (let i = 1; i < field.length; i++) value = value * 256 + field[i]!;
    return value;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/g, '')
    .trim();
  if (text === '') return 0;
  if (!/^[0-7]+$/.test(text)) return NaN;
  return parseInt(text, 8);
}

export function stringField(header: Buffer, offset: number, length: number): string {
  const field = header.subarray(offset, offset + length);
  const end = field.indexOf(0);
  return field.toString('utf8', 0, end < 0 ? length : end);
}

/** True when the header checksum matches (unsigned or historic signed sum). */
export function checksumValid(header: Buffer): boolean {
  const stored = numberField(header, 148, 8);
  let unsigned = 0;
  let signed = 0;
  for (let i = 0; i < block; i++) {
    const byte = i >= 148 && i < 156 ? 0x20 : header[i]!;
    unsigned += byte;
    signed += byte > 127 ? byte - 256 : byte;
  }
  return stored === unsigned || stored === signed;
}

/** Name of an entry, without a leading `./`. */
export function entryName(header: Buffer, longName: string | undefined): string {
  const prefix =
    header.toString('latin1', 257, 262) === 'ustar' ? stringField(header, 345, 155) : '';
  const name =
    longName ?? (prefix ? `${prefix}/${stringField(header, 0, 100)}` : stringField(header, 0, 100));
  return name.replace(/^(\.\/)+/, '');
}

/** Pax records (`<len> key=value\n`) of an extended header. */
export function paxRecords(data: Buffer): Record<string, string> {
  const records: Record<string, string> = {};
  for (const line of data.toString('utf8').split('\n')) {
    const match = /^\d+ ([^=]+)=(.*)$/.exec(line);
    if (match) records[match[1]!] = match[2]!;
  }
  return records;
}
