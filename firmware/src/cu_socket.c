#ifndef ESP_PLATFORM
#define _POSIX_C_SOURCE 200809L
#endif

#include "cu_socket.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef ESP_PLATFORM
#include "lwip/netdb.h"
#include "lwip/sockets.h"
#else
#include <netdb.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>
#endif

#include "cu_clock.h"

/*
 * Tries of a send that found no buffer (lwIP's ENOMEM when the WiFi driver's queue is full), a
 * millisecond apart, before the datagram is counted lost: the protocol resends what is lost.
 */
#define SEND_BUFFER_RETRIES 50u

#ifdef MSG_DONTWAIT
#define RECEIVE_FLAGS MSG_DONTWAIT
#else
#define RECEIVE_FLAGS 0
#endif

/* No buffer right now: worth a short wait. */
static int out_of_buffers(int error)
{
    return error == ENOMEM || error == ENOBUFS || error == EAGAIN || error == EWOULDBLOCK;
}

/* The datagram is lost, or an earlier one was refused; the next may get through. */
static int transient(int error)
{
    switch (error) {
    case ECONNREFUSED:
    case ENETUNREACH:
    case EHOSTUNREACH:
#ifdef ENETDOWN
    case ENETDOWN:
#endif
#ifdef EHOSTDOWN
    case EHOSTDOWN:
#endif
        return 1;
    default:
        return 0;
    }
}

static int socket_send(void *context, const uint8_t *datagram, size_t length)
{
    cu_socket *sock = context;
    for (unsigned attempt = 0; attempt <= SEND_BUFFER_RETRIES; attempt++) {
        if (send(sock->fd, datagram, length, 0) >= 0) return 0;
        int error = errno;
        if (error == EINTR) continue;
        if (out_of_buffers(error)) {
            cu_clock_sleep_ms(1);
            continue;
        }
        return transient(error) ? 0 : -1;
    }
    return 0;
}

static int socket_receive(void *context, uint8_t *buffer, size_t capacity, uint32_t timeout_ms)
{
    cu_socket *sock = context;
    fd_set readable;
    FD_ZERO(&readable);
    FD_SET(sock->fd, &readable);
    struct timeval timeout = {(time_t)(timeout_ms / 1000u), (long)(timeout_ms % 1000u) * 1000L};
    int ready = select(sock->fd + 1, &readable, NULL, NULL, &timeout);
    if (ready < 0) return errno == EINTR ? 0 : -1;
    if (ready == 0) return 0;
    /* Not waiting here: a datagram select saw may have been dropped since (a bad UDP checksum). */
    ssize_t got = recv(sock->fd, buffer, capacity, RECEIVE_FLAGS);
    if (got >= 0) return (int)got;
    int error = errno;
    return (error == EINTR || out_of_buffers(error) || transient(error)) ? 0 : -1;
}

static uint32_t socket_now_ms(void *context)
{
    (void)context;
    return cu_clock_now_ms();
}

/* The first UDP address of `node` (NULL: any) and `port`, or NULL; free it with freeaddrinfo. */
static struct addrinfo *resolve(const char *node, uint16_t port, int family, int flags)
{
    char service[6];
    snprintf(service, sizeof service, "%u", (unsigned)port);
    struct addrinfo hints;
    memset(&hints, 0, sizeof hints);
    hints.ai_family = family;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = flags;
    struct addrinfo *found = NULL;
    if (getaddrinfo(node, service, &hints, &found) != 0) return NULL;
    return found;
}

static int bind_local(int fd, int family, const char *bind_address, uint16_t bind_port)
{
    const char *node = (bind_address == NULL || bind_address[0] == '\0') ? NULL : bind_address;
    if (node == NULL && bind_port == 0) return CU_SOCKET_OK;
    struct addrinfo *local = resolve(node, bind_port, family, AI_PASSIVE | AI_NUMERICHOST);
    if (local == NULL) return CU_SOCKET_BAD_BIND_ADDRESS;
    int bound = bind(fd, local->ai_addr, local->ai_addrlen);
    freeaddrinfo(local);
    return bound == 0 ? CU_SOCKET_OK : CU_SOCKET_FAILED;
}

int cu_socket_open(cu_socket *sock, const char *host, uint16_t port, const char *bind_address,
                   uint16_t bind_port)
{
    sock->fd = -1;
    struct addrinfo *gateway = resolve(host, port, AF_UNSPEC, 0);
    if (gateway == NULL) return CU_SOCKET_UNRESOLVED;
    int fd = socket(gateway->ai_family, SOCK_DGRAM, 0);
    int status = fd < 0 ? CU_SOCKET_FAILED : bind_local(fd, gateway->ai_family, bind_address, bind_port);
    if (status == CU_SOCKET_OK && connect(fd, gateway->ai_addr, gateway->ai_addrlen) != 0) status = CU_SOCKET_FAILED;
    freeaddrinfo(gateway);
    if (status != CU_SOCKET_OK) {
        int error = errno;
        if (fd >= 0) close(fd);
        errno = error;
        return status;
    }
    sock->fd = fd;
    return CU_SOCKET_OK;
}

cu_platform cu_socket_platform(cu_socket *sock)
{
    cu_platform platform = {sock, socket_send, socket_receive, socket_now_ms};
    return platform;
}

void cu_socket_close(cu_socket *sock)
{
    if (sock->fd >= 0) close(sock->fd);
    sock->fd = -1;
}
