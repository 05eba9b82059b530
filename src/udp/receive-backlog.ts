/** Bytes still unread in the gateway's receive queue; undefined when the system cannot tell. */
export type ReceiveBacklog = () => Promise<number | undefined>;

/** Injection token of the {@link ReceiveBacklog} the UDP module provides. */
export const RECEIVE_BACKLOG = Symbol('RECEIVE_BACKLOG');
