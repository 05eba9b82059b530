/* The BSD-socket platform over real loopback sockets: what it sends, reads, filters and survives. */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/time.h>
#include <sys/socket.h>
#include <unistd.h>

#include "cu_clock.h"
#include "cu_socket.h"
#include "cu_test.h"

/* A UDP socket on 127.0.0.1 (or `address`), any port: the test's stand-in for the gateway. */
static int open_peer(const char *address, uint16_t *port)
{
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    struct sockaddr_in local;
    memset(&local, 0, sizeof local);
    local.sin_family = AF_INET;
    inet_pton(AF_INET, address, &local.sin_addr);
    bind(fd, (struct sockaddr *)&local, sizeof local);
    socklen_t size = sizeof local;
    getsockname(fd, (struct sockaddr *)&local, &size);
    *port = ntohs(local.sin_port);
    return fd;
}

static struct timeval receive_timeout = {2, 0};

static void sends_and_reads_datagrams_of_the_gateway_only(void)
{
    uint16_t port;
    int gateway = open_peer("127.0.0.1", &port);
    setsockopt(gateway, SOL_SOCKET, SO_RCVTIMEO, &receive_timeout, sizeof receive_timeout);
    cu_socket sock;
    CHECK_EQ(cu_socket_open(&sock, "127.0.0.1", port, "127.0.0.2", 0), CU_SOCKET_OK);
    cu_platform platform = cu_socket_platform(&sock);

    const uint8_t request[] = {1, 99, 1, 1, 0, 0, 5, 180, 0, 0, 0, 10};
    CHECK_EQ(platform.send(platform.context, request, sizeof request), 0);
    uint8_t received[64];
    struct sockaddr_in device;
    socklen_t size = sizeof device;
    ssize_t got = recvfrom(gateway, received, sizeof received, 0, (struct sockaddr *)&device, &size);
    CHECK_BYTES(received, got, 1, 99, 1, 1, 0, 0, 5, 180, 0, 0, 0, 10);
    char source[INET_ADDRSTRLEN];
    inet_ntop(AF_INET, &device.sin_addr, source, sizeof source);
    CHECK(strcmp(source, "127.0.0.2") == 0);

    /* Another host's datagram to the device's port is not read: the socket is connected. */
    uint16_t other_port;
    int other = open_peer("127.0.0.3", &other_port);
    const uint8_t forged[] = {1, 99, 3, 0};
    sendto(other, forged, sizeof forged, 0, (struct sockaddr *)&device, size);
    const uint8_t accept[] = {1, 99, 1, 0, 1, 0, 0, 5, 180};
    sendto(gateway, accept, sizeof accept, 0, (struct sockaddr *)&device, size);
    uint8_t buffer[33];
    int length = platform.receive(platform.context, buffer, sizeof buffer, 1000);
    CHECK_BYTES(buffer, length, 1, 99, 1, 0, 1, 0, 0, 5, 180);
    CHECK_EQ(platform.receive(platform.context, buffer, sizeof buffer, 50), 0);

    /* A datagram longer than the buffer is cut to it: the decoder then sees it as too long. */
    uint8_t long_reply[40];
    memset(long_reply, 7, sizeof long_reply);
    sendto(gateway, long_reply, sizeof long_reply, 0, (struct sockaddr *)&device, size);
    CHECK_EQ(platform.receive(platform.context, buffer, sizeof buffer, 1000), 33);

    cu_socket_close(&sock);
    close(other);
    close(gateway);
}

static void waits_no_longer_than_asked(void)
{
    uint16_t port;
    int gateway = open_peer("127.0.0.1", &port);
    cu_socket sock;
    CHECK_EQ(cu_socket_open(&sock, "127.0.0.1", port, NULL, 0), CU_SOCKET_OK);
    cu_platform platform = cu_socket_platform(&sock);
    uint8_t buffer[33];
    uint32_t started = cu_clock_now_ms();
    CHECK_EQ(platform.receive(platform.context, buffer, sizeof buffer, 80), 0);
    uint32_t waited = cu_clock_now_ms() - started;
    CHECK(waited >= 79);
    CHECK(waited < 2000);
    CHECK_EQ(platform.receive(platform.context, buffer, sizeof buffer, 0), 0);
    cu_socket_close(&sock);
    close(gateway);
}

static void survives_a_gateway_that_is_down(void)
{
    uint16_t port;
    int gateway = open_peer("127.0.0.1", &port);
    close(gateway); /* nothing listens: the kernel answers port unreachable */
    cu_socket sock;
    CHECK_EQ(cu_socket_open(&sock, "127.0.0.1", port, NULL, 0), CU_SOCKET_OK);
    cu_platform platform = cu_socket_platform(&sock);
    const uint8_t ping[] = {0, 99, 0};
    uint8_t buffer[33];
    for (int round = 0; round < 3; round++) {
        CHECK_EQ(platform.send(platform.context, ping, sizeof ping), 0);
        CHECK_EQ(platform.receive(platform.context, buffer, sizeof buffer, 30), 0);
    }
    cu_socket_close(&sock);
}

static void refuses_a_local_address_that_is_not_one(void)
{
    cu_socket sock;
    CHECK_EQ(cu_socket_open(&sock, "127.0.0.1", 44444, "not-an-address", 0), CU_SOCKET_BAD_BIND_ADDRESS);
    CHECK_EQ(sock.fd, -1);
}

int main(void)
{
    RUN(sends_and_reads_datagrams_of_the_gateway_only);
    RUN(waits_no_longer_than_asked);
    RUN(survives_a_gateway_that_is_down);
    RUN(refuses_a_local_address_that_is_not_one);
    return cu_test_report("socket", 4);
}
