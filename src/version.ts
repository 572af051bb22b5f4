import { createRequire } from 'node:module';

/** The package version, reported in the CapabilityStatement and the CLI. */
export const SOFTWARE_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
