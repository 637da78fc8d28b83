export { buildGateway } from './app.js'
export { type GatewayConfig, gatewayConfigSchema, loadGatewayConfig } from './config.js'
export { buildPublicDocument, type OpenApiDocument } from './openapi/document.js'
export { ROUTE_TABLE, type RouteEntry, SERVICE_NAMES } from './route-table.js'
