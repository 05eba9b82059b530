/*
 * A `cu_platform` over BSD sockets: POSIX sockets on a host, lwIP's sockets under ESP-IDF and the
 * Arduino core (the same calls; only the headers and the clock differ, see cu_clock_*.c).
 */
#ifndef CU_SOCKET_H
#define CU_SOCKET_H

#include "cable_uplink.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct cu_socket {
    int fd;
} cu_socket;

/* What `cu_socket_open` returns. */
#define CU_SOCKET_OK 0
/** The gateway's host name or address does not resolve. */
#define CU_SOCKET_UNRESOLVED (-1)
/** The local address does not parse. */
#define CU_SOCKET_BAD_BIND_ADDRESS (-2)
/** socket(), bind() or connect() failed: errno says why. */
#define CU_SOCKET_FAILED (-3)

/**
 * Opens a UDP socket to the gateway at `host` (a name, or an IPv4 or IPv6 address) and `port`,
 * bound to `bind_address` (NULL or "": any) and `bind_port` (0: any; the deployed firmware uses
 * 44444), and connected: only the gateway's own datagrams are read, from the address it was
 * sent to.
 */
int cu_socket_open(cu_socket *sock, const char *host, uint16_t port, const char *bind_address,
                   uint16_t bind_port);

/** The platform to give `cu_uplink_init`; valid while the socket is open. */
cu_platform cu_socket_platform(cu_socket *sock);

void cu_socket_close(cu_socket *sock);

#ifdef __cplusplus
}
#endif

#endif /* CU_SOCKET_H */
