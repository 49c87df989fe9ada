// Small helpers shared by the timing checks.

/** One reported figure: `pass` is null when it could not be measured. */
export function check(name, value, limit, pass, note) {
  return { name, value, limit, pass: value === undefined || Number.isNaN(value) ? null : pass, ...(note ? { note } : {}) }
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s.length ? s[Math.floor((s.length - 1) / 2)] : NaN
}

export const round = (x, d = 1) => Math.round(x * 10 ** d) / 10 ** d

export const sleep = ms => new Promise(r => setTimeout(r, ms))
