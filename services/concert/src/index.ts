export { type ConcertAppOptions, concertApp } from './app.js'
export { concertConfigSchema, loadConcertConfig, seatCacheConfigSchema } from './config.js'
