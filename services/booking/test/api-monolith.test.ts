import t from 'tap'
import { bookingThroughGateway } from './helpers/gateway-suite.js'

await bookingThroughGateway(t, 'monolith')
