import type { KeyValidator } from '../services/keyActions'
import { validateKey } from '../proxy/validation'

/** The channel-specific validation request the key test and the validate action send. */
export function keyValidator(): KeyValidator { return validateKey }
