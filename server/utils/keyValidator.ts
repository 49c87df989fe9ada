import { validateKey } from '../proxy/validation'
import type { KeyValidator } from '../services/keyActions'

/** The channel-specific validation request of the proxy engine, for the key test and validate action. */
export function keyValidator(): KeyValidator | null { return validateKey }
