/**
 * A WAL position (pg_lsn, `16/B374D848`: high and low 32 bits in hex) as a number that compares
 * and orders like the positions do.
 */
export function walPosition(lsn: string): bigint {
  const match = /^([0-9A-F]{1,8})\/([0-9A-F]{1,8})$/i.exec(lsn);
  if (match === null) throw new Error(`Not a WAL position: ${lsn}`);
  return (BigInt(`0x${match[1] as string}`) << 32n) | BigInt(`0x${match[2] as string}`);
}
