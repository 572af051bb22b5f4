import { readFileSync } from 'node:fs';
import type { Command } from 'commander';
import type { CommandRunner } from './client.js';
import { OPERATOR, withKeys } from './with-keys.js';

/** A CSR file is a few kilobytes; anything much larger is not one (the CA refuses it anyway). */
const MAX_CSR_BYTES = 64 * 1024;

/** `fhirkeep cert sign|ca` (CONTRACT.md): client certificates from Fhirkeep's CA. */
export function registerCertCommands(program: Command, run: CommandRunner): void {
  const cert = program.command('cert').description("client certificates signed by Fhirkeep's own CA (certificate API keys, mTLS)");
  cert
    .command('sign')
    .description("sign a CSR for a certificate key (its CN must be the key's certificate_cn); prints the certificate PEM")
    .requiredOption('--key <key-id>', 'the certificate key')
    .argument('<csr-file>', 'PEM certificate signing request')
    .action((file: string, options: { key: string }) =>
      run((out) =>
        withKeys(async (keys) => {
          const signed = await keys.signCertificate(options.key, readCsr(file), OPERATOR);
          out.note(`Signed for key ${options.key}: serial ${signed.serial}, valid until ${signed.notAfter.toISOString()}`);
          out.result(signed.pem.trimEnd(), {
            certificate: signed.pem,
            ca_certificate: signed.caPem,
            serial: signed.serial,
            not_after: signed.notAfter.toISOString(),
            'x5t#S256': signed.thumbprint,
          });
          return 0;
        }),
      )(),
    );
  cert
    .command('ca')
    .description("print Fhirkeep's CA certificate (PEM): what mTLS clients trust for the listener's certificate")
    .action(() =>
      run((out) =>
        withKeys(async (_keys, { ca }) => {
          const { certificatePem } = await ca();
          out.result(certificatePem.trimEnd(), { certificate: certificatePem });
          return 0;
        }),
      )(),
    );
}

function readCsr(file: string): string {
  let text: Buffer;
  try {
    text = readFileSync(file);
  } catch (e) {
    throw new Error(`Cannot read the CSR file ${file}: ${(e as Error).message}`);
  }
  if (text.length > MAX_CSR_BYTES) throw new Error(`The CSR file ${file} is larger than ${MAX_CSR_BYTES / 1024} KiB: it is not a CSR`);
  return text.toString('utf8');
}
