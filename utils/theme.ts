import type { GlobalThemeOverrides } from 'naive-ui'

/**
 * Keygate's colours on top of Naive UI's light and dark themes. The primary colours are chosen
 * for contrast (WCAG AA, 4.5:1) against the theme's background and the button text on them.
 */
export function themeOverrides(dark: boolean): GlobalThemeOverrides {
  return dark
    ? {
        common: {
          primaryColor: '#6aa9f0', primaryColorHover: '#8bbcf4', primaryColorPressed: '#4a90e2', primaryColorSuppl: '#6aa9f0',
          // Naive's tertiary text (empty states, hints, table placeholders) is below 4.5:1 in both themes.
          textColor3: 'rgba(255, 255, 255, 0.62)',
        },
        Empty: { textColor: 'rgba(255, 255, 255, 0.62)' },
      }
    : {
        common: {
          primaryColor: '#2b6cb0', primaryColorHover: '#3182ce', primaryColorPressed: '#2c5282', primaryColorSuppl: '#3182ce',
          textColor3: '#6b6f76',
        },
        Empty: { textColor: '#6b6f76' },
      }
}

/** Chart colours per theme (ECharts knows nothing of Naive UI's). */
export function chartPalette(dark: boolean) {
  return dark
    ? { text: '#d0d4da', axis: '#4b5563', grid: '#2f3540', success: '#5fc48a', failure: '#ef7a7a', retry: '#e8b04b', primary: '#6aa9f0' }
    : { text: '#333639', axis: '#c2c8d0', grid: '#eef0f3', success: '#18a058', failure: '#d03050', retry: '#c27c0e', primary: '#2b6cb0' }
}
