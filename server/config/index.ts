export * from './schema'
export * from './secrets'
