import type { FastifyRequest } from 'fastify';

/** A request header's value as one string (repeated headers joined, as HTTP folds them). */
export function headerText(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value.join(', ') : value;
}
