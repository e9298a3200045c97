import type { Role } from './roles';

/** Who is calling: the token's id, name and role. `actor` is what audit columns record. */
export interface Principal {
  readonly tokenId: string;
  readonly name: string;
  readonly role: Role;
  readonly actor: string;
}

export function actorOf(name: string, tokenId: string): string {
  return `${name} (token ${tokenId.slice(0, 8)})`;
}
