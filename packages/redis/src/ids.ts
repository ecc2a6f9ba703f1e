// Client and body ids. Bayeux §2.4: a clientId MUST be unique; 160 random bits in base36 will not collide.

import { randomBytes } from 'node:crypto';

const ID_BYTES = 20;
const ID_LENGTH = 31; // 160 bits in base36 (Bayeux §2.4 wants >= 128 random bits, alphanumeric)

export function newId(): string {
  return BigInt(`0x${randomBytes(ID_BYTES).toString('hex')}`)
    .toString(36)
    .padStart(ID_LENGTH, '0');
}
