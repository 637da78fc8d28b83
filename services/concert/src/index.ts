export { type ConcertAppOptions, concertApp } from './app.js'
export { concertConfigSchema, seatCacheConfigSchema } from './config.js'
