/** An organization's HIE API credentials (docs/hie.md): `client_id` + `X-Auth-Token`. */
export interface HieClient {
  /** The `client_id` header's value. */
  readonly id: string;
  readonly organizationId: string;
  readonly createdAt: Date;
  readonly revokedAt: Date | undefined;
}
