/** `sk-abcdef…wxyz` → `sk-ab…wxyz`; short secrets show less so that most of them stays hidden. */
export function maskSecret(secret: string): string {
  if (secret.length >= 16) return `${secret.slice(0, 5)}…${secret.slice(-4)}`
  if (secret.length >= 8) return `${secret.slice(0, 2)}…${secret.slice(-2)}`
  return '…'
}
