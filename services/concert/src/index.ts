export { type ConcertAppOptions, concertApp } from './app.js'
export { concertConfigSchema, loadConcertConfig, seatCacheConfigSchema } from './config.js'
export { concertPublicApi } from './public-api.js'
