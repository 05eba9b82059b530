/*
 * cable-uplink-send: uploads image files to a cable-inspector gateway with the cable_uplink
 * library, as a camera running it would, and prints one line per image. The host's stand-in for
 * the firmware: the end-to-end tests and the fleet simulator run it as the device.
 */
#define _POSIX_C_SOURCE 200809L

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cable_uplink.h"
#include "cu_socket.h"
#include "uplink_report.h"

enum { EXIT_ALL_STORED = 0, EXIT_SOME_FAILED = 1, EXIT_USAGE = 2 };

/* An image file larger than the largest image any packet size allows is refused unread. */
#define MAX_IMAGE_FILE_BYTES ((size_t)CU_MAX_PACKETS * (CU_MAX_PACKET_SIZE - CU_DATA_HEADER_BYTES))

static const char USAGE[] =
    "Usage: cable-uplink-send --server HOST:PORT --id N [options] IMAGE...\n"
    "\n"
    "Uploads each IMAGE file to a cable-inspector gateway with the cable_uplink library (protocol\n"
    "generation C) and prints one line per image: outcome, time, verdict.\n"
    "\n"
    "  --server HOST:PORT       the gateway: a host name, an IPv4 address or [IPv6]:PORT (required)\n"
    "  --id N                   device id, 0..255 (required)\n"
    "  --packet-size P          packet size, 8-byte header included, 9..65507 (default 1460)\n"
    "  --bind ADDRESS[:PORT]    local address and port (default: any address, any port)\n"
    "  --reply-timeout MS       longest wait for a reply before asking again (default 1000)\n"
    "  --min-reply-timeout MS   shortest such wait, as round trips are measured (default 100)\n"
    "  --request-attempts N     unanswered upload requests before giving up, 1..255 (default 16)\n"
    "  --end-attempts N         unanswered ends of transfer before starting again, 1..255 (default 8)\n"
    "  --restarts N             times an upload may start again, 0..255 (default 3)\n"
    "  --busy-pause MS          pause after a busy refusal (default 500)\n"
    "  --result-timeout MS      wait for the verdict once stored; 0: do not wait (default 10000)\n"
    "  --upload-timeout MS      longest upload, first request to stored (default 60000)\n"
    "  --ping                   ping the gateway first and print its protocol version and flags\n"
    "  --json                   one JSON object a line instead of text\n"
    "  --help                   this text\n"
    "\n"
    "Exit status: 0 when every image was stored (with its verdict, unless --result-timeout 0),\n"
    "1 otherwise, 2 for a command line that does not parse.\n";

typedef struct options {
    const char *host;
    unsigned port;
    const char *bind_address;
    unsigned bind_port;
    cu_config config;
    int ping;
    int json;
    int first_image;
} options;

static int usage_error(const char *message, const char *value)
{
    fprintf(stderr, "cable-uplink-send: %s%s%s\ncable-uplink-send: see --help\n", message, value ? ": " : "",
            value ? value : "");
    return EXIT_USAGE;
}

/* A decimal integer in min..max, or -1. */
static long parse_number(const char *text, long min, long max)
{
    if (text == NULL || *text == '\0') return -1;
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (errno != 0 || *end != '\0' || value < min || value > max) return -1;
    return value;
}

/* "host:port", "[v6]:port"; for --bind the port is optional. Splits `text` in place. */
static int split_endpoint(char *text, const char **host, unsigned *port, int port_required)
{
    char *colon;
    if (text[0] == '[') {
        char *close = strchr(text, ']');
        if (close == NULL) return -1;
        *close = '\0';
        *host = text + 1;
        colon = close[1] == ':' ? close + 1 : NULL;
        if (close[1] != '\0' && colon == NULL) return -1;
    } else {
        colon = strrchr(text, ':');
        *host = text;
        if (colon != NULL && strchr(text, ':') != colon) colon = NULL; /* a bare IPv6 address */
        if (colon != NULL) *colon = '\0';
    }
    if (colon == NULL) {
        *port = 0;
        return port_required ? -1 : 0;
    }
    long value = parse_number(colon + 1, port_required ? 1 : 0, 65535);
    if (value < 0) return -1;
    *port = (unsigned)value;
    return 0;
}

static int parse_options(int argc, char **argv, options *opts)
{
    memset(opts, 0, sizeof *opts);
    cu_config_defaults(&opts->config);
    int have_id = 0;
    int index = 1;
    for (; index < argc && strncmp(argv[index], "--", 2) == 0; index++) {
        const char *name = argv[index] + 2;
        if (strcmp(name, "") == 0) {
            index++;
            break;
        }
        if (strcmp(name, "help") == 0) {
            fputs(USAGE, stdout);
            exit(EXIT_ALL_STORED);
        }
        if (strcmp(name, "ping") == 0) {
            opts->ping = 1;
            continue;
        }
        if (strcmp(name, "json") == 0) {
            opts->json = 1;
            continue;
        }
        if (index + 1 >= argc) return usage_error("missing value of option", argv[index]);
        char *value = argv[++index];
        long number;
        if (strcmp(name, "server") == 0) {
            if (split_endpoint(value, &opts->host, &opts->port, 1) != 0 || opts->host[0] == '\0') {
                return usage_error("--server expects HOST:PORT with a port from 1 to 65535", value);
            }
        } else if (strcmp(name, "bind") == 0) {
            if (split_endpoint(value, &opts->bind_address, &opts->bind_port, 0) != 0) {
                return usage_error("--bind expects ADDRESS or ADDRESS:PORT", value);
            }
        } else if (strcmp(name, "id") == 0) {
            if ((number = parse_number(value, 0, 255)) < 0) return usage_error("--id expects 0..255", value);
            opts->config.device_id = (uint8_t)number;
            have_id = 1;
        } else if (strcmp(name, "packet-size") == 0) {
            if ((number = parse_number(value, CU_DATA_HEADER_BYTES + 1, CU_MAX_PACKET_SIZE)) < 0) {
                return usage_error("--packet-size expects 9..65507", value);
            }
            opts->config.packet_size = (uint16_t)number;
        } else {
            struct {
                const char *name;
                uint32_t *duration;
                uint8_t *count;
                long min;
            } numeric[] = {
                {"reply-timeout", &opts->config.reply_timeout_ms, NULL, 1},
                {"min-reply-timeout", &opts->config.min_reply_timeout_ms, NULL, 1},
                {"busy-pause", &opts->config.busy_pause_ms, NULL, 0},
                {"result-timeout", &opts->config.result_timeout_ms, NULL, 0},
                {"upload-timeout", &opts->config.upload_timeout_ms, NULL, 1},
                {"request-attempts", NULL, &opts->config.request_attempts, 1},
                {"end-attempts", NULL, &opts->config.end_attempts, 1},
                {"restarts", NULL, &opts->config.restart_limit, 0},
            };
            size_t known = sizeof numeric / sizeof numeric[0];
            size_t which = 0;
            while (which < known && strcmp(name, numeric[which].name) != 0) which++;
            if (which == known) return usage_error("unknown option", argv[index - 1]);
            long max = numeric[which].count != NULL ? 255 : 86400000;
            if ((number = parse_number(value, numeric[which].min, max)) < 0) {
                return usage_error(numeric[which].count != NULL ? "expected a count from 0 to 255"
                                                                 : "expected milliseconds up to 86400000",
                                   argv[index - 1]);
            }
            if (numeric[which].count != NULL) *numeric[which].count = (uint8_t)number;
            else *numeric[which].duration = (uint32_t)number;
        }
    }
    if (opts->host == NULL) return usage_error("--server HOST:PORT is required", NULL);
    if (!have_id) return usage_error("--id N is required", NULL);
    if (opts->config.min_reply_timeout_ms > opts->config.reply_timeout_ms) {
        return usage_error("--min-reply-timeout must not exceed --reply-timeout", NULL);
    }
    if (index >= argc && !opts->ping) return usage_error("no IMAGE given", NULL);
    opts->first_image = index;
    return 0;
}

/* The whole file in a new buffer; NULL with errno set when it cannot be read. */
static uint8_t *read_file(const char *path, size_t *size)
{
    FILE *file = fopen(path, "rb");
    if (file == NULL) return NULL;
    size_t capacity = 1 << 16;
    size_t used = 0;
    uint8_t *bytes = malloc(capacity);
    while (bytes != NULL) {
        used += fread(bytes + used, 1, capacity - used, file);
        if (used > MAX_IMAGE_FILE_BYTES) {
            free(bytes);
            fclose(file);
            errno = EFBIG;
            return NULL;
        }
        if (used < capacity) break;
        uint8_t *grown = realloc(bytes, capacity * 2);
        if (grown == NULL) {
            free(bytes);
            bytes = NULL;
            break;
        }
        bytes = grown;
        capacity *= 2;
    }
    int failed = bytes == NULL || ferror(file);
    int error = errno;
    fclose(file);
    if (failed) {
        free(bytes);
        errno = error != 0 ? error : EIO;
        return NULL;
    }
    *size = used;
    return bytes;
}

static int ping(cu_uplink *uplink, const options *opts)
{
    cu_ping_reply reply;
    int answered = cu_ping(uplink, opts->config.reply_timeout_ms, &reply);
    if (opts->json) {
        if (answered == 1) printf("{\"ping\":{\"version\":%u,\"flags\":%u}}\n", reply.version, reply.flags);
        else printf("{\"ping\":null}\n");
    } else if (answered == 1) {
        printf("gateway %s:%u: protocol %u, %s, %s\n", opts->host, opts->port, reply.version,
               (reply.flags & CU_PING_ACCEPTING_UPLOADS) ? "accepting uploads" : "not accepting uploads",
               (reply.flags & CU_PING_ANALYSIS_AVAILABLE) ? "analysis available" : "no analysis");
    } else {
        printf("gateway %s:%u: no answer to ping within %lu ms\n", opts->host, opts->port,
               (unsigned long)opts->config.reply_timeout_ms);
    }
    fflush(stdout);
    return answered == 1;
}

int main(int argc, char **argv)
{
    options opts;
    int parsed = parse_options(argc, argv, &opts);
    if (parsed != 0) return parsed;

    cu_socket sock;
    int opened = cu_socket_open(&sock, opts.host, (uint16_t)opts.port, opts.bind_address, (uint16_t)opts.bind_port);
    if (opened != CU_SOCKET_OK) {
        const char *why = opened == CU_SOCKET_UNRESOLVED        ? "cannot resolve the server"
                          : opened == CU_SOCKET_BAD_BIND_ADDRESS ? "--bind is not an IP address of this host"
                                                                 : strerror(errno);
        fprintf(stderr, "cable-uplink-send: %s:%u: %s\n", opts.host, opts.port, why);
        return EXIT_USAGE;
    }
    uint8_t *packet_buffer = malloc(opts.config.packet_size);
    cu_platform platform = cu_socket_platform(&sock);
    cu_uplink uplink;
    if (packet_buffer == NULL || !cu_uplink_init(&uplink, &platform, &opts.config, packet_buffer, opts.config.packet_size)) {
        fprintf(stderr, "cable-uplink-send: settings out of range\n");
        free(packet_buffer);
        cu_socket_close(&sock);
        return EXIT_USAGE;
    }

    int all_ok = 1;
    if (opts.ping && !ping(&uplink, &opts)) all_ok = 0;
    for (int arg = opts.first_image; arg < argc; arg++) {
        size_t size = 0;
        uint8_t *image = read_file(argv[arg], &size);
        if (image == NULL) {
            fprintf(stderr, "cable-uplink-send: %s: %s\n", argv[arg], strerror(errno));
            all_ok = 0;
            continue;
        }
        cu_result result;
        cu_upload(&uplink, image, size, &result);
        free(image);
        if (opts.json) print_upload_json(argv[arg], &result);
        else print_upload_text(argv[arg], &result, opts.config.result_timeout_ms);
        fflush(stdout);
        int awaited = opts.config.result_timeout_ms > 0;
        if (result.outcome != CU_STORED || (awaited && !result.verdict_received)) all_ok = 0;
    }
    free(packet_buffer);
    cu_socket_close(&sock);
    return all_ok ? EXIT_ALL_STORED : EXIT_SOME_FAILED;
}
