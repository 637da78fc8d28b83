/**
 * Set on an answer given before any work was done (a draining server's `503 SHUTTING_DOWN`): the
 * request may be sent again elsewhere, whatever its method. The split gateway replays such a request
 * on another instance of the context; a client that sees it may retry on another gateway.
 */
export const UNPROCESSED_HEADER = 'x-unprocessed'
