// `npm run check:i18n`: every console message exists, non-empty and with the same {placeholders},
// in every language (i18n/locales/<lang>/<area>.json). Exits 1 listing what is wrong.
import { checkMessages, LOCALES } from '../i18n'
import { readLocales } from '../i18n/readLocales'

const { messages, areas } = readLocales()
const problems = checkMessages(messages)
if (problems.length) {
  console.error(`check:i18n: ${problems.length} problem(s):\n  ${problems.join('\n  ')}`)
  process.exit(1)
}
console.log(`check:i18n: ${LOCALES.length} languages agree on every message in ${areas.length} areas (${areas.join(', ')})`)
