import { FhirkeepError } from '../../errors/fhirkeep-error.js';

/**
 * The parameters of an OAuth request (form body or query), read the way RFC 6749 asks:
 * no parameter twice (§3.1, §3.2), and an empty value counts as absent (§3.1).
 */
export class OAuthParams {
  private constructor(private readonly values: ReadonlyMap<string, string>) {}

  static of(params: URLSearchParams): OAuthParams {
    const values = new Map<string, string>();
    for (const [name, value] of params) {
      if (values.has(name)) throw new FhirkeepError('invalid-request', `The parameter ${name} is given more than once`);
      if (value !== '') values.set(name, value);
    }
    return new OAuthParams(values);
  }

  get(name: string): string | undefined {
    return this.values.get(name);
  }

  has(name: string): boolean {
    return this.values.has(name);
  }

  require(name: string): string {
    const value = this.values.get(name);
    if (value === undefined) throw new FhirkeepError('invalid-request', `The parameter ${name} is required`);
    return value;
  }
}
