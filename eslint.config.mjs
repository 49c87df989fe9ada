// ESLint flat config: `npm run lint` checks, `npm run lint:fix` rewrites what it can.
// Built on @nuxt/eslint-config (standalone: no Nuxt module, nothing generated in .nuxt needed),
// with its stylistic rules set to the house style: no semicolons, single quotes, 2-space indent,
// trailing commas in multiline literals, arrow parens only when needed (`x => x + 1`, but
// `(event) => { … }` around a block body, as most of server/ writes it), lines up to 140 columns.
// Node 20 (package.json engines): @nuxt/eslint-config stays on 1.15 (1.16+ needs eslint-plugin-jsdoc
// 63, Node 22), and package.json `overrides` pin eslint-flat-config-utils to 3.0.1 (3.1+ calls
// Object.groupBy, Node 21+) and eslint-plugin-regexp to 3.1 (3.2+ needs jsdoc-type-pratt-parser 9, Node 22).
import { createConfigForNuxt } from '@nuxt/eslint-config/flat'

export default createConfigForNuxt(
  {
    features: {
      stylistic: {
        semi: false,
        quotes: 'single',
        indent: 2,
        commaDangle: 'always-multiline',
        arrowParens: false,
        braceStyle: '1tbs',
      },
    },
  },
  {
    name: 'keygate/ignores',
    ignores: ['.output/**', '.nuxt/**', '.nitro/**', '.data/**', 'node_modules/**', 'db/migrations/**', 'bench/results/**', 'coverage/**'],
  },
  {
    name: 'keygate/house-style',
    rules: {
      // Type literals: `{ a: A; b: B }` on one line, one member per line without delimiters otherwise.
      '@stylistic/member-delimiter-style': ['error', {
        multiline: { delimiter: 'none', requireLast: false },
        singleline: { delimiter: 'semi', requireLast: false },
      }],
      // The code writes short guard/collect one-liners (`{ errors++; statuses[k] = … }`) on purpose.
      '@stylistic/max-statements-per-line': 'off',
      // `try { … } catch {}` is the idiom for "best effort, ignore failure"; other empty blocks stay errors.
      'no-empty': ['error', { allowEmptyCatch: true }],
      // Operators start the continued line (`\n  && b`, `\n  | { … }`), but an assignment's `=` ends
      // its line, as everywhere in the code (`type Db =\n  | { … }`).
      '@stylistic/operator-linebreak': ['error', 'before', { overrides: { '=': 'after' } }],
      // Double quotes are fine where they save escaping an apostrophe or SQL quotes.
      '@stylistic/quotes': ['error', 'single', { avoidEscape: true, allowTemplateLiterals: 'always' }],
      '@stylistic/max-len': ['error', {
        code: 140,
        ignoreUrls: true,
        ignoreStrings: true,
        ignoreTemplateLiterals: true,
        ignoreRegExpLiterals: true,
      }],
    },
  },
  {
    name: 'keygate/vue-templates',
    files: ['**/*.vue'],
    rules: {
      // Templates keep short elements and their attributes on one line (`<n-button size="small" @click="…">Save</n-button>`);
      // line length is what limits them, via max-len.
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
    },
  },
  {
    name: 'keygate/tests-and-tools',
    files: ['tests/**', 'bench/**', 'scripts/**'],
    rules: {
      // Tests and tools read untyped JSON answers and raw database rows; `any` there is deliberate.
      '@typescript-eslint/no-explicit-any': 'off',
    },
  },
  {
    name: 'keygate/nuxt-config',
    files: ['nuxt.config.ts'],
    rules: {
      // Only an ordering preference; nuxt.config.ts groups its keys by topic, with their comments.
      'nuxt/nuxt-config-keys-order': 'off',
    },
  },
)
